from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from annotations import api, views

api_urls = [
    path("annotations/", api.annotations, name="api_annotations"),
    path("annotations/<id:pk>", api.annotation, name="api_annotation"),
    path("annotations/<id:pk>/restore", api.restore, name="api_annotation_restore"),
    path("annotations/<id:pk>/hide", api.hide, name="api_annotation_hide"),
    path("annotations/<id:pk>/flag", api.flag, name="api_annotation_flag"),
]

notebook_urls = [
    path("", views.notebook, name="notebook"),
    path("export.<str:fmt>", views.export_notes, name="export_notes"),
    path("my-tags/<id:pk>", views.my_tags, name="notebook_my_tags"),
    path("replies/", views.replies, name="notebook_replies"),
]
