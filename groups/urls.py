"""The group pages under /groups/ (the API's routes live with the API)."""

from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from annotations import views as notebook_views
from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/edit", views.edit, name="edit"),
    path("<id:pk>/delete", views.delete, name="delete"),
    path("<id:pk>/leave", views.leave, name="leave"),
    path("<id:pk>/members/<id:user_id>/role", views.set_role, name="set_role"),
    path("<id:pk>/members/<id:user_id>/remove", views.remove_member, name="remove_member"),
    path("<id:pk>/invites", views.make_invite, name="make_invite"),
    path("<id:pk>/invites/<id:invite_id>/revoke", views.revoke_invite, name="revoke_invite"),
    path("<id:pk>/moderation/<id:annotation_id>/hide", views.hide, name="hide"),
    path("<id:pk>/moderation/<id:annotation_id>/unhide", views.unhide, name="unhide"),
    path(
        "<id:pk>/moderation/<id:annotation_id>/dismiss", views.dismiss_flags, name="dismiss_flags"
    ),
    path("join/<str:token>", views.join, name="join"),
    # The group's notebook and its export (annotations.views).
    path("<id:pk>/notes/", notebook_views.group_notebook, name="notebook"),
    path("<id:pk>/export.<str:fmt>", notebook_views.group_export, name="export"),
]
