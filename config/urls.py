from django.contrib import admin
from django.urls import include, path

from annotations.urls import api_urls, notebook_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include(api_urls)),
    path("notes/", include(notebook_urls)),
    path("", include("archive.urls")),
]
