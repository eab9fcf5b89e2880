from django.contrib import admin

from archive.models import ImportedFile, Post, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "author", "published_at", "updated_at"]
    list_filter = ["source", "published_at"]
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
    ]
    show_full_result_count = False


@admin.register(ImportedFile)
class ImportedFileAdmin(admin.ModelAdmin):
    list_display = ["path", "status", "url", "seen_at"]
    list_filter = ["status"]
    search_fields = ["path", "url", "error"]
    raw_id_fields = ["post"]
