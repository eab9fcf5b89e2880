from django.urls import path

import config.ids  # noqa: F401  (the <id:…> converter)
from library import api

api_urls = [
    path("posts/", api.posts, name="api_posts"),
    path("posts/<id:pk>/state", api.post_state, name="api_post_state"),
]
