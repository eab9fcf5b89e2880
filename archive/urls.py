from django.urls import path

from archive import views

app_name = "archive"
urlpatterns = [
    path("", views.post_list, name="post_list"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
]
