from django.urls import path

from annotations import api, views

api_urls = [
    path("annotations/", api.annotations, name="api_annotations"),
    path("annotations/<int:pk>", api.annotation, name="api_annotation"),
    path("annotations/<int:pk>/restore", api.restore, name="api_annotation_restore"),
]

notebook_urls = [
    path("", views.notebook, name="notebook"),
    path("export.<str:fmt>", views.export_notes, name="export_notes"),
]
