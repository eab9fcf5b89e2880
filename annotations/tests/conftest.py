"""Posts and passages for the annotations tests (the personas are in the root conftest)."""

from dataclasses import replace

import pytest
from django.contrib.auth import get_user_model

from annotations import services
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post

BODY = (
    "<div><p>第一段说了一些话，和经济无关。</p>"
    "<p>第二段讲<b>中国的经济</b>，中国的经济增长放缓了很多，专家说这是结构性的问题。</p>"
    "<p>The third paragraph is in English and quotes a minister.</p></div>"
)


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/economy")


def selection(post, quote, occurrence=0, *, source=None) -> Target:
    """The passage ``quote`` of ``post`` as the reader reports it (by the post's id, or by
    ``source``, a URL)."""
    start = -1
    for _ in range(occurrence + 1):
        start = post.text.index(quote, start + 1)
    return Target(
        source=source or post.url,
        post_id=None if source else post.pk,
        exact=quote,
        start=start,
        end=start + len(quote),
    )


def changes(post, quote, *, exact=None, source=None, **fields) -> Changes:
    """A new annotation of ``quote`` (reported as ``exact`` when given) with ``fields``."""
    target = selection(post, quote, source=source)
    if exact is not None:
        target = replace(target, exact=exact)
    if "tags" in fields:
        fields["tags"] = tuple(fields["tags"])
    return Changes(target=target, **fields)


def payload(
    post,
    quote,
    *,
    kind="highlight",
    colour="yellow",
    body=None,
    language=None,
    tags=(),
    shared=None,
):
    """A W3C annotation as the reader's script sends it."""
    where = selection(post, quote)
    data = {
        "type": "Annotation",
        "target": {
            "source": post.url,
            "selector": [
                {"type": "TextQuoteSelector", "exact": where.exact},
                {"type": "TextPositionSelector", "start": where.start, "end": where.end},
            ],
        },
        "pizhu": {"kind": kind, "colour": colour},
    }
    if shared is not None:
        data["pizhu"]["shared"] = shared
    bodies = []
    if body is not None:
        note = {"type": "TextualBody", "value": body, "purpose": "commenting"}
        if language:
            note["language"] = language
        bodies.append(note)
    bodies += [{"type": "TextualBody", "purpose": "tagging", "value": tag} for tag in tags]
    if bodies or body is not None:
        data["body"] = bodies
    return data


@pytest.fixture
def reader(db):
    """The person at the browser in the browser tests."""
    return get_user_model().objects.create_user("reader", password="reader-password-1")


@pytest.fixture
def make_annotation(post):
    def make(user, quote="增长放缓", **fields):
        return services.create(user, changes(post, quote, **{"colour": "yellow", **fields}))

    return make
