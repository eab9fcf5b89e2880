"""Signals the archive sends, so other apps can follow it without the archive knowing them."""

from django.dispatch import Signal

# Sent inside the writing transaction after the text of existing posts may have changed
# (re-import of a changed file, re-clean); ``post_ids`` lists them and ``previous`` maps each
# to its text before. Annotations re-anchor, following their passages through the edits.
posts_rewritten = Signal()
