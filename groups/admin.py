from django.contrib import admin

from groups.models import Group, Invite, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class InviteInline(admin.TabularInline):
    model = Invite
    fields = ["created_at", "created_by", "expires_at", "max_uses", "uses", "revoked_at"]
    readonly_fields = fields  # the token stays out: an invite opens a group
    extra = 0
    can_delete = False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    """To look, not to write: groups change through groups.services, which makes the notes of
    a member who leaves (or of a deleted group) private to their authors. A deletion here
    would be refused by the notes' PROTECT, an edit would skip the header's stamp."""

    list_display = ["name", "created_by", "created_at", "updated_at"]
    search_fields = ["name", "memberships__user__username"]
    inlines = [MembershipInline, InviteInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
