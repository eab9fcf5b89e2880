"""The groups API's routes, under /api/ (config/urls.py); the pages are groups/urls.py's."""

from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from groups import api

api_urls = [
    path("groups/", api.groups, name="api_groups"),
    path("groups/join", api.join, name="api_groups_join"),
    path("groups/<id:pk>", api.group, name="api_group"),
    path("groups/<id:pk>/membership", api.membership, name="api_group_membership"),
    path("groups/<id:pk>/invites", api.invites, name="api_group_invites"),
]
