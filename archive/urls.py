from django.urls import path

from archive import views

app_name = "archive"
urlpatterns = [
    path("", views.post_list, name="post_list"),
    path("search/", views.search_view, name="search"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
]
