"""Requests no page can mean, refused before any view reads them."""

from __future__ import annotations

from django.http import HttpResponseBadRequest


def refuse_nul_in_query(get_response):
    """A NUL in the query string is a 400. No search, filter or id can hold one, and
    PostgreSQL refuses it in any string (a 500 if it reached a query)."""

    def middleware(request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "查询里有空字符（NUL）。The query holds a NUL character.",
                content_type="text/plain; charset=utf-8",
            )
        return get_response(request)

    return middleware
