from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from annotations.feeds import notes_feed
from annotations.urls import api_urls, notebook_urls
from groups.api_urls import api_urls as groups_api_urls
from library.urls import api_urls as library_api_urls

urlpatterns = [
    # First: the reader and the lists are most of the requests, and Django tries each
    # pattern in turn (none of the archive's shadows another's below).
    path("", include("archive.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says: send them to the real one (its
    # hashed name is known only once collectstatic has run: looked up per request).
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    path("accounts/", include("accounts.urls")),
    path("api/", include(api_urls)),
    path("api/", include(library_api_urls)),
    path("api/", include(groups_api_urls)),
    path("notes/", include(notebook_urls)),
    path("groups/", include("groups.urls")),
    path("review/", include("review.urls")),
    path("feeds/notes/<str:key>/", notes_feed, name="notes_feed"),  # the key is the password
]
