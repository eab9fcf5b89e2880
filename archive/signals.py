"""Signals the archive sends, so other apps can follow it without the archive knowing them."""

from django.dispatch import Signal

# Sent inside the writing transaction after the text of existing posts may have changed
# (re-import of a changed file, re-clean); ``post_ids`` lists them and ``previous`` maps each
# to its text before. Annotations re-anchor, following their passages through the edits.
# A receiver may return counts by outcome ({"quote": 3, "orphaned": 1, ...}): the import
# adds them up for its report (annotations found again, and orphaned).
posts_rewritten = Signal()


class FollowerFailed(Exception):
    """Raised by a receiver of ``posts_rewritten`` that could not follow the rewrite: the
    rewrite is rolled back with it, and the import or re-clean reports ``what`` failed for
    that file or post instead of blaming the database."""

    def __init__(self, what: str, cause: Exception):
        super().__init__(f"{what} failed: {type(cause).__name__}: {cause}")


def announce_rewrite(sender, post_ids: list[int], previous: dict[int, str]) -> list:
    """``send()``'s (receiver, response) pairs; none when no post was rewritten."""
    if not post_ids:
        return []
    return posts_rewritten.send(sender, post_ids=post_ids, previous=previous)
