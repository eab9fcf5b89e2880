from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from annotations import export, own_tags
from annotations import replies as reply_inbox
from annotations.notebook import (
    GroupNotebookFilters,
    NotebookFilters,
    entries_for,
    group_entries_for,
    group_notes,
    group_orphan_replies,
    group_posts_newest_first,
    my_annotations,
    my_tagged_posts,
    posts_newest_first,
)
from annotations.values import Invalid, sentence
from archive.models import Post
from groups.access import MODERATE, group_for
from library import state

POSTS_PER_PAGE = 20


@login_required
def notebook(request):
    filters = NotebookFilters(request.GET, user=request.user)
    annotations = my_annotations(request.user, filters)
    tagged = my_tagged_posts(request.user, filters)
    page = Paginator(posts_newest_first(annotations, tagged), POSTS_PER_PAGE).get_page(
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
            "entries": entries_for(annotations, page.object_list, user=request.user),
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
    groups = export.notes_for_export(
        request.user,
        my_annotations(request.user, filters),
        tagged=my_tagged_posts(request.user, filters),
    )
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


@login_required
def group_notebook(request, pk: int):
    """A group's notes that I may read, by post, each with its author and its replies
    (a 404 to anyone not a member: ``groups.access.group_for``)."""
    access = group_for(request.user, pk)
    filters = GroupNotebookFilters(request.GET, user=request.user, group=access.group)
    notes = group_notes(request.user, access.group, filters)
    orphans = group_orphan_replies(request.user, access.group, filters)
    page = Paginator(group_posts_newest_first(notes, orphans), POSTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    entries = group_entries_for(
        request.user, access.group, notes, page.object_list, orphans=orphans is not None
    )
    return render(
        request,
        "annotations/group_notebook.html",
        {
            "group": access.group,
            "moderates": access.may(MODERATE),
            "filters": filters,
            "page": page,
            "entries": entries,
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
def group_export(request, pk: int, fmt: str):
    """The group notebook's current filter as Markdown (``md``) or W3C JSON-LD (``json``)."""
    if fmt not in export.GROUP_FORMATS:
        raise Http404("No such format")
    access = group_for(request.user, pk)
    filters = GroupNotebookFilters(request.GET, user=request.user, group=access.group)
    entries = export.group_notes_for_export(request.user, access.group, filters)
    rendered = export.render_group(
        fmt, access.group, entries, base_url=f"{request.scheme}://{request.get_host()}"
    )
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = content_disposition_header(True, rendered.filename)
    return response


@require_POST
@login_required
def my_tags(request, pk: int):
    """Replace my own tags of a post with those typed in the notebook's box (``tags``,
    separated by commas), then back to where the form was (``next``, this site only)."""
    if not Post.objects.filter(pk=pk).exists():
        raise Http404("No such post")
    try:
        changes = state.parse(
            {"tags": own_tags.split(request.POST.get("tags", ""))},
            partial=True,
            post_id=pk,
            text_length=0,
        )
    except Invalid as invalid:
        for problem in invalid.errors:  # said as an annotation's tags are
            messages.error(request, sentence({**problem, "field": "body.tagging"}))
    else:
        state.change(request.user, pk, changes)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("notebook")
    return redirect(f"{back.split('#')[0]}#post-{pk}")


REPLIES_PER_PAGE = 30


@login_required
def replies(request):
    """Others' replies to my notes, newest first; those since my last look marked. Looking
    is reading them: the header's count goes back to none."""
    seen = reply_inbox.seen_at(request.user)
    page = Paginator(reply_inbox.replies_to(request.user), REPLIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for reply in page.object_list:
        reply.unread = seen is None or reply.created_at > seen
    reply_inbox.mark_seen(request.user)
    return render(request, "annotations/replies.html", {"page": page})
