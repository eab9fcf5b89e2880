from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from archive import feeds, views

app_name = "archive"
urlpatterns = [
    path("", views.post_list, name="post_list"),
    path("search/", views.search_view, name="search"),
    path("posts/<id:pk>/", views.post_detail, name="post_detail"),
    # Atom feeds (archive.feeds); the notes feed is config.urls' (annotations.feeds).
    path("feeds/posts/", feeds.posts_feed, name="feed_posts"),
    path("feeds/sources/<str:slug>/", feeds.source_feed, name="feed_source"),
    path("feeds/tags/<str:slug>/", feeds.tag_feed, name="feed_tag"),
    path("feeds/search/", feeds.search_feed, name="feed_search"),
]
