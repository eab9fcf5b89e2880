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


EXPORTS = {
    "md": ("text/markdown; charset=utf-8", ".md"),
    "bilingual": ("text/markdown; charset=utf-8", ".md"),
    "zip": ("application/zip", ".zip"),
    "jsonld": ("application/ld+json; charset=utf-8", ".jsonld"),
}


@login_required
def export_notes(request, fmt: str):
    """The notebook's current filter (or one post, ``?post=ID``), as a download."""
    if fmt not in EXPORTS:
        raise Http404("No such format")
    filters = NotebookFilters(request.GET, user=request.user)
    groups = export.notes_for_export(request.user, my_annotations(request.user, filters))
    base_url = f"{request.scheme}://{request.get_host()}"
    single = len(groups) == 1 and filters.value("post")
    if fmt == "zip":
        content = export.zip_markdown(
            groups, base_url=base_url, combined=request.GET.get("combined") == "1"
        )
        name = "pizhu-notes"
    elif fmt == "jsonld":
        content = export.dumps_jsonld(export.jsonld_collection(groups, base_url=base_url)).encode()
        name = "pizhu-notes"
    elif fmt == "bilingual":
        if not single:
            raise Http404("A bilingual export is made for one post (?post=ID)")
        content = export.bilingual_markdown(groups[0], base_url=base_url).encode()
        name = export.safe_filename(
            groups[0].post.title, groups[0].post.pk, groups[0].post.published_at
        )
        name = name.removesuffix(".md") + "-bilingual"
    elif single:
        content = export.post_markdown(groups[0], base_url=base_url).encode()
        name = export.safe_filename(
            groups[0].post.title, groups[0].post.pk, groups[0].post.published_at
        )
        name = name.removesuffix(".md")
    else:
        content = export.combined_markdown(groups, base_url=base_url).encode()
        name = "pizhu-notes"
    content_type, suffix = EXPORTS[fmt]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name + suffix)
    return response
