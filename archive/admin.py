from django.contrib import admin
from django.utils.html import format_html, format_html_join

from archive.models import ImportedFile, ImportRun, Post, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "author", "published_at", "updated_at"]
    list_filter = ["source", "published_at", ("gone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["source"]
    search_fields = ["title", "author", "url"]
    date_hierarchy = "published_at"
    readonly_fields = [
        "raw_front_matter",
        "raw_body",
        "body_html",
        "text",
        "cleaner_version",
        "path",
        "content_hash",
        "created_at",
        "updated_at",
        "gone_at",
    ]
    show_full_result_count = False


@admin.register(ImportedFile)
class ImportedFileAdmin(admin.ModelAdmin):
    list_display = ["path", "status", "url", "seen_at"]
    list_filter = ["status"]
    search_fields = ["path", "url", "error"]
    raw_id_fields = ["post"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The last runs of sync_archive and import_posts: read-only, a record of what happened."""

    list_display = [
        "started_at",
        "command",
        "status",
        "changes",
        "failed",
        "annotations",
        "commits",
        "short_root",
        "error",
    ]
    list_filter = ["status", "command"]
    search_fields = ["root", "error", "summary"]
    date_hierarchy = "started_at"
    fields = [
        "command",
        "root",
        "status",
        "started_at",
        "finished_at",
        "git_before",
        "git_after",
        ("created", "updated", "unchanged", "duplicates", "gone"),
        ("reanchored", "orphaned"),
        "failed",
        "failures_list",
        "error",
        "summary",
    ]
    readonly_fields = [
        name for row in fields for name in (row if isinstance(row, tuple) else (row,))
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="what changed")
    def changes(self, run):
        return (
            f"+{run.created} new, {run.updated} updated, {run.gone} gone "
            f"({run.unchanged} unchanged, {run.duplicates} duplicates)"
        )

    @admin.display(description="annotations")
    def annotations(self, run):
        return f"{run.reanchored} re-anchored, {run.orphaned} orphaned"

    @admin.display(description="root")
    def short_root(self, run):
        """The folder's last parts: a whole path pushes the columns off a laptop's screen."""
        return run.root if len(run.root) <= 40 else "…" + run.root[-39:]

    @admin.display(description="git")
    def commits(self, run):
        if run.git_before == run.git_after:
            return run.git_after[:12]
        return f"{run.git_before[:12] or '—'} → {run.git_after[:12]}"

    @admin.display(description="failures (path: reason)")
    def failures_list(self, run):
        if not run.failures:
            return "—"
        shown = format_html_join(
            "", "<li><code>{}</code>: {}</li>", ((f["path"], f["reason"]) for f in run.failures)
        )
        more = run.failed - len(run.failures)
        return format_html(
            "<ul>{}</ul>{}", shown, f"… and {more} more (not kept)" if more > 0 else ""
        )
