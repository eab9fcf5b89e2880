"""Requests no page can mean, refused before any view reads them."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render


def refuse_nul_in_query(get_response):
    """A NUL in the query string is a 400. No search, filter or id can hold one, and
    PostgreSQL refuses it in any string (a 500 if it reached a query)."""

    def middleware(request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = "查询里有空字符（NUL），无法读取。The query holds a NUL character."
            if request.path.startswith("/api/"):  # the API answers in JSON, errors too
                return JsonResponse({"error": message}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return get_response(request)

    return middleware
