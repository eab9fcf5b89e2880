from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from archive.models import Post


def post_list(request):
    posts = Post.objects.for_list()
    page = Paginator(posts, settings.PIZHU_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "archive/post_list.html", {"page": page})


def post_detail(request, pk):
    post = get_object_or_404(Post.objects.select_related("source"), pk=pk)
    return render(request, "archive/post_detail.html", {"post": post})
