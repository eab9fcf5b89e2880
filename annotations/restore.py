"""Notes back into Pizhu from a W3C JSON-LD file (as ``export_notes --format jsonld`` and the
notebook write it): each annotation parsed by ``annotations.jsonld`` and restored through
``annotations.services.restore``, which places it in its post's current text.

The report says what became of every item: restored in place, re-anchored, orphaned, already
there, post missing, or invalid (with the fields at fault).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from annotations import jsonld, services
from annotations.values import Invalid


@dataclass
class RestoreReport:
    restored: int = 0  # found where they were
    reanchored: int = 0  # the post's text changed: found elsewhere in it
    orphaned: list[dict] = field(default_factory=list)  # kept, but their text is gone
    missing_posts: list[dict] = field(default_factory=list)  # not imported: no such post
    duplicates: int = 0  # already there
    invalid: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "restored": self.restored,
            "reanchored": self.reanchored,
            "orphaned": self.orphaned,
            "missing_posts": self.missing_posts,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
        }

    def summary(self) -> str:
        return (
            f"restored {self.restored}, re-anchored {self.reanchored}, "
            f"orphaned {len(self.orphaned)}, already there {self.duplicates}, "
            f"post missing {len(self.missing_posts)}, invalid {len(self.invalid)}"
        )


def restore_jsonld(user, data) -> RestoreReport:
    """Restore the annotations of a JSON-LD document for ``user``. Raises ValueError when
    ``data`` holds no annotations at all (not a collection, page, list or annotation), or
    more than ``PIZHU_MAX_RESTORE_ITEMS``."""
    report = RestoreReport()
    for index, item in enumerate(jsonld.items_of(data, limit=settings.PIZHU_MAX_RESTORE_ITEMS)):
        where = {"item": index, "id": item.get("id") if isinstance(item, dict) else None}
        try:
            changes = jsonld.parse(item, partial=False)
        except Invalid as invalid:
            report.invalid.append({**where, "errors": invalid.errors})
            continue
        outcome, _ = services.restore(user, changes)
        passage = {**where, "source": changes.target.source, "exact": changes.target.exact[:80]}
        if outcome == services.POST_MISSING:
            report.missing_posts.append(passage)
        elif outcome == services.DUPLICATE:
            report.duplicates += 1
        elif outcome == services.ORPHANED:
            report.orphaned.append(passage)
        elif outcome == services.REANCHORED:
            report.reanchored += 1
        else:
            report.restored += 1
    return report
