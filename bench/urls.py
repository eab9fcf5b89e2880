"""The app's URLs plus the framework's ceiling: a view returning fixed bytes from memory,
behind exactly the same middleware as the reader."""

import os
from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path


@cache
def _page() -> bytes:
    return Path(os.environ["PIZHU_BENCH_PAGE"]).read_bytes()


def ceiling(request):
    return HttpResponse(_page(), content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/ceiling/", ceiling), path("", include("config.urls"))]
