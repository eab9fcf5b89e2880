"""The real corpus in ../shared/corpus (read-only, not part of the project): import it twice."""

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from archive.importer import import_paths
from archive.models import Post, Source
from archive.tests.html_checks import unsafe_markup
from bench import quality
from conftest import FIXTURE_POSTS

pytestmark = pytest.mark.django_db


def test_corpus_imports_completely_and_a_second_run_is_a_no_op(corpus):
    first = import_paths([corpus], jobs=2)
    # 145 files, 4 URLs appear in two files each: 141 posts, no file is broken.
    assert (first.files, first.created, len(first.duplicates), first.failed) == (145, 141, 4, [])
    rows = list(Post.objects.order_by("id").values_list("id", "url", "content_hash", "text"))
    second = import_paths([corpus], jobs=2)
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 141, [])
    assert len(second.duplicates) == 4
    assert (
        list(Post.objects.order_by("id").values_list("id", "url", "content_hash", "text")) == rows
    )
    assert Source.objects.count() == 10
    assert not Post.objects.filter(published_at__isnull=True).exists()


def test_no_corpus_post_keeps_dangerous_markup(corpus):
    import_paths([corpus])
    for title, body_html in Post.objects.values_list("title", "body_html"):
        assert unsafe_markup(body_html) == [], title


def test_corpus_bodies_have_no_page_chrome_and_keep_the_article(corpus):
    """Against independent extractions of each raw page (bench/quality.py): every post keeps
    80 % of its prose, or is a reviewed post that loses only what trafilatura calls comments."""
    import_paths([corpus])
    kept = total = 0
    for title, path, raw_body, body_html, text in Post.objects.values_list(
        "title", "path", "raw_body", "body_html", "text"
    ):
        assert quality.chrome_left(body_html, title) == [], title
        measured = quality.kept_share(raw_body, text, title=title)
        assert quality.acceptable(Path(path).name, measured), (title, measured.lost[:3])
        kept, total = kept + measured.kept, total + measured.total
    assert total > 800_000  # the measure saw the corpus's prose, not nothing
    assert kept / total >= 0.88  # the rest: the 183 spam comments of one reviewed 泡泡 post


def _contributions(raw_body: str) -> list[tuple[str, list[str]]]:
    """(contributor names, paragraphs) of each contribution on a ChinaFile conversation page,
    read straight from the raw page."""
    tree = LexborHTMLParser(raw_body)
    found = []
    for comment in tree.css("article.comment"):
        if comment.css_first(".node-profile.contributor") is None:
            continue
        names = " & ".join(h.text(strip=True) for h in comment.css(".node-profile h3"))
        paragraphs = [p.text() for p in comment.css(".field-name-comment-body p")]
        found.append((names, [p for p in paragraphs if p.strip()]))
    return found


def _squash(text: str) -> str:
    return "".join(text.split())


def test_conversation_posts_keep_every_contribution_under_its_contributors(corpus):
    import_paths([corpus])
    conversations = 0
    for title, raw_body, body_html, text in Post.objects.values_list(
        "title", "raw_body", "body_html", "text"
    ):
        contributions = _contributions(raw_body)
        if not contributions:
            continue
        conversations += 1
        headings = [h.text() for h in LexborHTMLParser(body_html).css("h2")]
        assert headings == [names for names, _ in contributions], title
        squashed = _squash(text)
        for names, paragraphs in contributions:
            for paragraph in paragraphs:
                assert _squash(paragraph) in squashed, (title, names, paragraph[:60])
    # Seven files: the six (two URLs in two files each) and one whose marks differ.
    assert conversations >= 5


def test_the_prose_measure_says_no_when_contributions_are_dropped(corpus, monkeypatch):
    """The measure is not the cleaner's own rules: undo the fix and it fails the posts."""
    from archive import cleaning, parsing, tidy

    monkeypatch.setattr(tidy, "_keep_author_contributions", lambda root: None)
    flagged = []
    for path in sorted(corpus.rglob("*.md")):
        post = parsing.parse_post(path.read_bytes(), str(path))
        if not _contributions(post.raw_body):
            continue
        text = cleaning.clean(post.raw_body, title=post.title, url=post.url).text
        measured = quality.kept_share(post.raw_body, text, title=post.title)
        flagged.append(not quality.acceptable(path.name, measured))
    assert len(flagged) >= 7 and all(flagged)


def test_every_corpus_image_has_a_usable_https_source(corpus):
    import_paths([corpus])
    images = 0
    for body_html in Post.objects.values_list("body_html", flat=True):
        for img in LexborHTMLParser(body_html or "<p></p>").css("img"):
            images += 1
            assert (img.attrs.get("src") or "").startswith(("https://", "http://")), img.html
            assert img.attrs.get("referrerpolicy") == "no-referrer"
    assert images > 100


def test_corpus_raw_fields_are_verbatim(corpus):
    import_paths([corpus])
    for post in Post.objects.all():
        original = Path(post.path).read_text(encoding="utf-8").lstrip("\ufeff")
        assert f"---\n{post.raw_front_matter}---\n{post.raw_body}" == original


def test_demo_fixtures_import_with_exactly_the_two_broken_files_failing():
    report = import_paths([FIXTURE_POSTS])
    assert report.created == 18 and len(report.duplicates) == 1
    assert sorted(f["path"].rsplit("/", 1)[1] for f in report.failed) == [
        "2024-09-01-坏文件：没有来源网址.md",
        "2024-09-02-坏文件：前言没有结束.md",
    ]
