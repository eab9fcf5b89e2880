from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from review import views

app_name = "review"

urlpatterns = [
    path("", views.review, name="review"),
    path("<id:pk>/answer", views.answer, name="answer"),
    path("<id:pk>/restore", views.restore, name="restore"),
    path("settings", views.save_settings, name="settings"),
    path("never/", views.never, name="never"),
]
