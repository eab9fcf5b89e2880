from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from archive import views

app_name = "archive"
urlpatterns = [
    path("", views.post_list, name="post_list"),
    path("search/", views.search_view, name="search"),
    path("posts/<id:pk>/", views.post_detail, name="post_detail"),
]
