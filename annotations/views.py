from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from annotations import export
from annotations.notebook import NotebookFilters, entries_for, my_annotations, posts_newest_first

POSTS_PER_PAGE = 20


@login_required
def notebook(request):
    filters = NotebookFilters(request.GET, user=request.user)
    annotations = my_annotations(request.user, filters)
    page = Paginator(posts_newest_first(annotations), POSTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "annotations/notebook.html",
        {
            "filters": filters,
            "page": page,
            "entries": entries_for(annotations, page.object_list),
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
def export_notes(request, fmt: str):
    """The notebook's current filter (or one post, ``?post=ID``), as a download."""
    if fmt not in export.FORMATS:
        raise Http404("No such format")
    filters = NotebookFilters(request.GET, user=request.user)
    groups = export.notes_for_export(request.user, my_annotations(request.user, filters))
    try:
        rendered = export.render(
            fmt,
            groups,
            base_url=f"{request.scheme}://{request.get_host()}",
            one_post=bool(filters.value("post")),
            combined=request.GET.get("combined") == "1",
        )
    except export.ExportError as error:
        raise Http404(str(error)) from error
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = content_disposition_header(True, rendered.filename)
    return response
