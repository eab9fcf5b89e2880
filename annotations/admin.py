from django.contrib import admin

from annotations.models import Annotation


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "post", "kind", "colour", "state", "shared", "modified_at"]
    list_filter = ["kind", "colour", "state", "shared"]
    search_fields = ["exact", "body", "user__username"]
    raw_id_fields = ["user", "post"]
    readonly_fields = ["prefix", "suffix", "start", "end", "anchored_by", "version", "body_html"]
