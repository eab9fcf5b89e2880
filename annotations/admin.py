from django.contrib import admin

from annotations.models import Annotation


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    """To look, not to write: every write goes through annotations.services, which renders
    the note, folds the search text, bumps the version (If-Match) and deletes softly. An
    edit here would skip all four."""

    list_display = [
        "__str__",
        "user",
        "post",
        "kind",
        "colour",
        "state",
        "visibility",
        "modified_at",
    ]
    list_filter = ["kind", "colour", "state", "visibility", "is_reply"]
    search_fields = ["exact", "body", "user__username"]
    raw_id_fields = ["user", "post"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
