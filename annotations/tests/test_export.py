"""annotations.export: golden Markdown for tricky content, deterministic zips, JSON-LD round
trip, and nobody exports anyone else's notes (page, API or command)."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from markdown_it import MarkdownIt

from annotations import export, services
from annotations.models import Annotation, State
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from library import state
from library.models import ReadingState

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
BASE = "http://pizhu.test"
LONG = "很长的一段引文。" * 60

TRICKY_BODY = (
    "<div><p>引言：市场 > 预期，#热点 与 *星号*，还有 `反引号` 和 [方括号](链接)。</p>"
    "<p>---</p>"
    "<p>1. 不是列表；- 也不是；&gt; 也不是引用。</p>"
    "<p>“中文引号”、『书名号』——破折号……省略号！</p>"
    f"<p>{LONG}</p>"
    "<ul><li>第一项 | 竖线</li><li>第二项 $100 ==高亮== %%注释%% ^ref</li></ul>"
    "<p>The end, with &lt;b&gt;tags&lt;/b&gt; & ampersands.</p></div>"
)
TRICKY_TITLE = '标题 # "引号" : [方括号] *星号* --- 结尾'


@pytest.fixture
def tricky_post(archive_dir):
    archive_dir.write(
        "2024-03-04-tricky.md",
        body=TRICKY_BODY,
        title=TRICKY_TITLE.replace('"', '\\"'),
        url="https://example.org/tricky",
        date="2024-03-04T05:06:07.000Z",
        author="作者: 某人 @ 报社",
    )
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/tricky")


def fix_times(*annotations):
    """Notes made at known times, so the output can be compared byte for byte."""
    for number, annotation in enumerate(annotations):
        stamp = datetime(2024, 5, 1, 12, number, tzinfo=UTC)
        Annotation.objects.filter(pk=annotation.pk).update(created_at=stamp, modified_at=stamp)


@pytest.fixture
def tricky_notes(owner, tricky_post):
    post = tricky_post
    made = [
        services.create(
            owner,
            changes(
                post,
                "市场 > 预期，#热点 与 *星号*，还有 `反引号`",
                kind="note",
                colour="blue",
                body="Markdown *kept* as written.\n\n```python\nprint('unclosed')",
                tags=["市场 观察", "2024", "a#b"],
            ),
        ),
        services.create(
            owner, changes(post, "---\n1. 不是列表；- 也不是；> 也不是引用。", colour="pink")
        ),
        services.create(
            owner,
            changes(
                post,
                "“中文引号”、『书名号』——破折号……省略号！",
                kind="translation",
                language="en",
                body='"Chinese quotes", book-title marks — dash … ellipsis!\n---\nsecond line',
            ),
        ),
        services.create(owner, changes(post, LONG, kind="note", body="长引文")),
        services.create(
            owner,
            changes(post, "第一项 | 竖线\n第二项 $100 ==高亮== %%注释%% ^ref", colour="green"),
        ),
        services.create(
            owner,
            changes(
                post,
                "The end, with <b>tags</b> & ampersands.",
                kind="note",
                body="# a heading in a note\ntext",
            ),
        ),
    ]
    # An orphan: its text left the post in a re-import.
    Annotation.objects.filter(pk=made[5].pk).update(
        state=State.ORPHANED, exact="这句话已经不在文章里了。", prefix="", suffix=""
    )
    fix_times(*made)
    return made


def stable_ids(text: str, annotations) -> str:
    """Ids as the golden files have them (PostgreSQL does not reuse ids between tests)."""
    text = text.replace(f"/posts/{annotations[0].post_id}/", "/posts/1/")
    for number, annotation in enumerate(annotations, 1):
        text = text.replace(f"#annotation-{annotation.pk})", f"#annotation-{number})")
        text = text.replace(f"^pizhu-{annotation.pk}\n", f"^pizhu-{number}\n")
    return text


def golden(name: str, text: str) -> None:
    """Compare with the reviewed file; PIZHU_UPDATE_GOLDEN=1 rewrites it (review the diff)."""
    import os

    path = GOLDEN / name
    if os.environ.get("PIZHU_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_post_markdown_matches_the_reviewed_golden_file(owner, tricky_notes):
    (group,) = export.notes_for_export(owner)
    golden("tricky-post.md", stable_ids(export.post_markdown(group, base_url=BASE), tricky_notes))


def test_bilingual_markdown_matches_the_reviewed_golden_file(owner, tricky_notes):
    (group,) = export.notes_for_export(owner)
    text = export.bilingual_markdown(group, base_url=BASE)
    golden("tricky-bilingual.md", stable_ids(text, tricky_notes))


def test_the_front_matter_is_valid_yaml_holding_the_posts_fields(owner, tricky_notes, tricky_post):
    (group,) = export.notes_for_export(owner)
    text = export.post_markdown(group, base_url=BASE)
    _, front, _ = text.split("---\n", 2)
    data = yaml.safe_load(front)
    assert data == {
        "title": TRICKY_TITLE,
        "author": "作者: 某人 @ 报社",
        "source": "示例日报",
        "url": "https://example.org/tricky",
        "published": "2024-03-04T05:06:07+00:00",
        "exported": "2024-05-01T12:05:00+00:00",
        "tags": ["示例日报"],
    }


def test_every_quote_renders_back_to_its_own_text(owner, tricky_notes):
    """Whatever a quote holds, CommonMark reads it back as one blockquote of that text."""
    (group,) = export.notes_for_export(owner)
    md = MarkdownIt("commonmark")
    for annotation in group.annotations:
        paragraphs = export.quote_paragraphs(group.post, annotation)
        html = md.render(export.blockquote(paragraphs))
        assert html.startswith("<blockquote>\n") and html.endswith("</blockquote>\n")
        assert html.count("<blockquote>") == 1
        rendered = re.findall(r"<p>(.*?)</p>", html, re.S)
        assert [unescape(p) for p in rendered] == paragraphs


def test_paragraph_breaks_inside_a_quote_are_kept(owner, tricky_notes):
    (group,) = export.notes_for_export(owner)
    across = next(a for a in group.annotations if a.exact.startswith("---"))
    assert export.quote_paragraphs(group.post, across) == [
        "---",
        "1. 不是列表；- 也不是；> 也不是引用。",
    ]


def test_the_same_notes_give_byte_identical_files(owner, tricky_notes):
    first = export.zip_markdown(export.notes_for_export(owner), base_url=BASE, combined=True)
    second = export.zip_markdown(export.notes_for_export(owner), base_url=BASE, combined=True)
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == [
        "2024-03-04-标题-引号-方括号-星号-----结尾-" + str(tricky_notes[0].post_id) + ".md",
        "all-notes.md",
    ]


def test_file_names_are_safe_and_unique():
    assert export.safe_filename('a/b\\c:d*e?f"g<h>i|j', 7, None) == "a-b-c-d-e-f-g-h-i-j-7.md"
    assert export.safe_filename("../../etc/passwd", 8, None) == "etc-passwd-8.md"
    assert export.safe_filename("", 9, None) == "post-9.md"
    assert len(export.safe_filename("长" * 500, 10, None)) <= 90
    # 80 Chinese characters are 240 bytes: over the 255 a file name may take, with a date.
    long_name = export.safe_filename("长" * 80, 11, datetime(2024, 1, 2, tzinfo=UTC))
    assert len(long_name.encode()) <= 200 and long_name.startswith("2024-01-02-长")
    assert export.safe_filename("同名", 1, None) != export.safe_filename("同名", 2, None)


def test_tags_become_obsidian_tags():
    assert export.tag_name("市场 观察") == "市场_观察"
    assert export.tag_name("2024") == "tag_2024"
    assert export.tag_name("a#b, c!") == "ab_c"


# --- JSON-LD ---------------------------------------------------------------------------------


def comparable(annotation):
    fields = ("post_id", "kind", "colour", "body", "language", "exact", "start", "end", "state")
    times = (annotation.created_at, annotation.modified_at)
    return (*(getattr(annotation, name) for name in fields), *times, tag_names(annotation))


def tag_names(annotation):
    return tuple(sorted(t.name for t in annotation.tags.all()))


def test_jsonld_round_trip_export_delete_import_gives_the_same_annotations(
    owner, tricky_notes, tmp_path
):
    before = sorted(comparable(a) for a in Annotation.objects.all())
    out = tmp_path / "notes.jsonld"
    call_command("export_notes", user="owner", format="jsonld", out=str(out))
    data = json.loads(out.read_text())
    assert data["type"] == "AnnotationCollection" and data["total"] == 6
    Annotation.objects.all().delete()
    call_command("import_notes", str(out), user="owner")
    after = sorted(comparable(a) for a in Annotation.objects.all())
    # The orphan's text is still not in the post: it comes back orphaned, like it left.
    assert after == before


def test_the_command_writes_readwise_csv_with_a_row_per_passage(owner, tricky_notes, tmp_path):
    out = tmp_path / "notes.csv"
    call_command("export_notes", user="owner", format="csv", out=str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    passages = Annotation.objects.filter(user=owner).passages().alive()
    assert sorted(r["Highlight"].removeprefix("'") for r in rows) == sorted(
        a.exact for a in passages
    )
    assert {r["URL"] for r in rows} == {a.post.url for a in passages}


# --- permissions -------------------------------------------------------------------------------


def test_nobody_exports_another_users_notes(owner, other, other_client, tricky_notes, tmp_path):
    Annotation.objects.update(visibility="everyone")  # even shared ones are not theirs to export
    assert export.notes_for_export(other) == []
    for fmt in ("md", "zip", "jsonld"):
        response = other_client.get(f"/notes/export.{fmt}?post={tricky_notes[0].post_id}")
        assert response.status_code == 200
        assert "市场" not in response.content.decode("utf-8", "replace")
    out = tmp_path / "other.jsonld"
    call_command("export_notes", user="other", format="jsonld", out=str(out))
    assert json.loads(out.read_text())["total"] == 0


def test_export_pages_need_sign_in(anonymous_client):
    for fmt in ("md", "zip", "jsonld", "bilingual"):
        assert anonymous_client.get(f"/notes/export.{fmt}").status_code == 302


def test_the_export_command_writes_each_shape(owner, tricky_notes, tmp_path):
    call_command(
        "export_notes", user="owner", format="markdown", out=str(tmp_path / "one.md"), base_url=BASE
    )
    written = stable_ids((tmp_path / "one.md").read_text(), tricky_notes)
    assert written == (GOLDEN / "tricky-post.md").read_text()
    call_command("export_notes", user="owner", format="markdown", out=str(tmp_path / "all.zip"))
    assert zipfile.is_zipfile(tmp_path / "all.zip")
    call_command("export_notes", user="owner", format="markdown", out=str(tmp_path / "folder"))
    assert len(list((tmp_path / "folder").glob("*.md"))) == 1


def test_the_whole_file_keeps_its_structure_whatever_the_notes_hold(owner, tricky_notes):
    (group,) = export.notes_for_export(owner)
    text = export.post_markdown(group, base_url=BASE)
    body = text.split("---\n", 2)[2]
    tokens = MarkdownIt("commonmark").parse(body)
    top_level = [t for t in tokens if t.level == 0 and t.nesting == 1]
    headings = [t for t in top_level if t.type == "heading_open"]
    assert [h.tag for h in headings[:1]] == ["h1"]  # the title, first
    assert sum(t.type == "blockquote_open" for t in top_level) == len(group.annotations)
    for annotation in group.annotations:
        assert f"^pizhu-{annotation.pk}\n" in text


def test_a_quote_across_table_rows_keeps_rows_and_cells_apart(owner, archive_dir):
    rows = "<tr><td>2022</td><td>17</td></tr><tr><td>2023</td><td>43</td></tr>"
    body = f"<div><table>{rows}</table></div>"
    archive_dir.write("2024-01-05-table.md", body=body, url="https://example.org/table")
    import_paths([archive_dir])
    post = Post.objects.get(url="https://example.org/table")
    annotation = services.create(owner, changes(post, "2022\n17\n2023"))
    assert export.quote_paragraphs(post, annotation) == ["2022 · 17", "2023"]


# --- render: the one entry point of the views and the command ----------------------------------


def test_render_names_and_types_each_format(owner, tricky_notes):
    groups = export.notes_for_export(owner)
    post_file = export.safe_filename(
        groups[0].post.title, groups[0].post.pk, groups[0].post.published_at
    )
    expected = {
        ("md", False): ("pizhu-notes.md", "text/markdown; charset=utf-8"),
        ("md", True): (post_file, "text/markdown; charset=utf-8"),
        ("bilingual", True): (
            post_file.removesuffix(".md") + "-bilingual.md",
            "text/markdown; charset=utf-8",
        ),
        ("zip", False): ("pizhu-notes.zip", "application/zip"),
        ("jsonld", False): ("pizhu-notes.jsonld", "application/ld+json; charset=utf-8"),
    }
    for (fmt, one_post), (name, content_type) in expected.items():
        rendered = export.render(fmt, groups, base_url=BASE, one_post=one_post)
        assert (rendered.filename, rendered.content_type) == (name, content_type)
    single = export.render("md", groups, base_url=BASE, one_post=True).content.decode()
    assert single == export.post_markdown(groups[0], base_url=BASE)
    combined = export.render("md", groups, base_url=BASE).content.decode()
    assert combined == export.combined_markdown(groups, base_url=BASE)


def test_render_zips_a_file_per_post_and_the_combined_file_on_request(owner, tricky_notes):
    groups = export.notes_for_export(owner)
    plain = export.render("zip", groups, base_url=BASE).content
    with_all = export.render("zip", groups, base_url=BASE, combined=True).content
    names = [name for name, _ in export.markdown_files(groups, base_url=BASE)]
    assert zipfile.ZipFile(io.BytesIO(plain)).namelist() == names
    assert zipfile.ZipFile(io.BytesIO(with_all)).namelist() == [*names, "all-notes.md"]


def test_render_refuses_a_bilingual_file_of_no_single_post_and_unknown_formats(owner):
    with pytest.raises(export.ExportError, match="one post"):
        export.render("bilingual", [], base_url=BASE, one_post=True)
    with pytest.raises(export.ExportError, match="no such format"):
        export.render("pdf", [], base_url=BASE)


def test_a_quote_across_links_and_bold_stays_one_paragraph(owner, archive_dir):
    """Pretty-printed source wraps lines inside links: the browser shows one sentence, and so
    does the export (one sentence with two links became 7 quoted paragraphs)."""
    body = (
        "<div><p>The report\n  <a href='https://a.example/'>\n    was published\n  </a>\n"
        "  by <b>two\n groups</b> and\n  <a href='https://b.example/'>cited</a>\n widely.</p>"
        "<p>Second paragraph.</p></div>"
    )
    archive_dir.write("2024-01-05-links.md", body=body, url="https://example.org/links")
    import_paths([archive_dir])
    post = Post.objects.get(url="https://example.org/links")
    quote = post.text[post.text.index("The report") : post.text.index("Second") + 6]
    annotation = services.create(owner, changes(post, quote))
    assert export.quote_paragraphs(post, annotation) == [
        "The report was published by two groups and cited widely.",
        "Second",
    ]


# --- page notes and my own tags of posts ---------------------------------------------------------

MY_TAGS = ["市场 观察", "2024", "a#b", "Économie"]


def page_note(user, post, body, **fields):
    target = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=target, kind="note", body=body, **fields))


def fix_state_times(user):
    """My reading states begun at a known time (it dates a post's own tags in exports)."""
    stamp = datetime(2024, 4, 1, 8, 0, tzinfo=UTC)
    ReadingState.objects.filter(user=user).update(created_at=stamp)


@pytest.fixture
def page_notes(owner, tricky_notes, tricky_post):
    made = [
        page_note(
            owner, tricky_post, "整篇的**要点**：\n\n> 不是引文\n\n```\nunclosed", tags=["要点"]
        ),
        page_note(owner, tricky_post, "# 第二条 heading\n---", colour="green"),
    ]
    Annotation.objects.filter(pk=made[0].pk).update(
        created_at=datetime(2024, 5, 1, 13, 0, tzinfo=UTC),
        modified_at=datetime(2024, 5, 1, 13, 0, tzinfo=UTC),
    )
    Annotation.objects.filter(pk=made[1].pk).update(
        created_at=datetime(2024, 5, 1, 13, 1, tzinfo=UTC),
        modified_at=datetime(2024, 5, 1, 13, 1, tzinfo=UTC),
    )
    state.change(owner, tricky_post.pk, {"tags": MY_TAGS})
    fix_state_times(owner)
    return [*tricky_notes, *made]


@pytest.fixture
def tagged_only_post(owner, archive_dir, tricky_post):
    """A post with my own tags and no notes at all."""
    archive_dir.write("2024-06-01-only.md", url="https://example.org/only", title="只有标签")
    import_paths([archive_dir])
    post = Post.objects.get(url="https://example.org/only")
    state.change(owner, post.pk, {"tags": ["待读"], "progress": 0.3})
    fix_state_times(owner)
    return post


def test_post_markdown_with_page_notes_and_my_tags_matches_the_reviewed_golden_file(
    owner, page_notes
):
    (group,) = export.notes_for_export(owner)
    text = export.post_markdown(group, base_url=BASE)
    golden("tricky-post-page-notes.md", stable_ids(text, page_notes))


def test_page_notes_come_first_in_their_posts_file_and_quote_nothing(owner, page_notes):
    (group,) = export.notes_for_export(owner)
    body = export.post_markdown(group, base_url=BASE).split("---\n", 2)[2]
    tokens = MarkdownIt("commonmark").parse(body)
    top = [t for t in tokens if t.level == 0 and t.nesting == 1]
    sections = [t for t in top if t.markup == "##"]  # a note's own --- makes setext ones
    titles = [tokens[tokens.index(t) + 1].content for t in sections]
    assert titles == ["页面笔记 Page notes", "段落笔记 Passage notes", "未定位 Orphaned"]
    # Both page notes (by their block ids) before the passages, and no quote of their own.
    passages_start = body.index("## 段落笔记 Passage notes")
    for note in group.page_notes:
        assert body.index(f"^pizhu-{note.pk}\n") < passages_start
    after = top[top.index(sections[1]) :]
    assert sum(t.type == "blockquote_open" for t in after) == len(group.passages)
    assert "\n>\n\n" not in body and "\n> \n" not in body  # no empty quote


def test_a_post_without_page_notes_keeps_its_passages_without_a_heading(owner, tricky_notes):
    (group,) = export.notes_for_export(owner)
    text = export.post_markdown(group, base_url=BASE)
    assert "页面笔记 Page notes" not in text and "段落笔记 Passage notes" not in text
    assert "我的标签 My tags" not in text and "my_tags" not in text


def test_my_tags_are_in_the_front_matter_and_under_the_title_apart_from_the_archives(
    owner, page_notes
):
    (group,) = export.notes_for_export(owner)
    text = export.post_markdown(group, base_url=BASE)
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    assert data["tags"] == ["示例日报"]  # the archive's, as before
    assert data["my_tags"] == sorted(MY_TAGS, key=str.casefold)  # as written
    line = body.strip().split("\n\n")[1]  # right under the title
    assert line == "我的标签 My tags: #tag_2024 #ab #Économie #市场_观察"


def test_a_post_with_only_my_tags_is_exported_in_every_format(
    owner, tricky_notes, tagged_only_post
):
    groups = export.notes_for_export(owner)
    assert [g.post.pk for g in groups] == [tricky_notes[0].post_id, tagged_only_post.pk]
    only = groups[1]
    text = export.post_markdown(only, base_url=BASE)
    assert text.startswith("---\ntitle: 只有标签\n")
    assert "exported: '2024-04-01T08:00:00+00:00'" in text  # when its state began
    assert text.endswith("# 只有标签\n\n我的标签 My tags: #待读\n")
    archive = zipfile.ZipFile(io.BytesIO(export.render("zip", groups, base_url=BASE).content))
    assert export.safe_filename("只有标签", tagged_only_post.pk, tagged_only_post.published_at) in (
        archive.namelist()
    )
    assert "# 只有标签" in export.combined_markdown(groups, base_url=BASE)
    items = export.jsonld_collection(groups, base_url=BASE)["first"]["items"]
    assert [i["target"]["source"] for i in items if i["motivation"] == "tagging"] == [
        "https://example.org/only"
    ]


def test_reading_further_does_not_change_the_export(owner, page_notes, tagged_only_post):
    before = export.render("zip", export.notes_for_export(owner), base_url=BASE).content
    state.change(owner, tagged_only_post.pk, {"progress": 0.9, "position": 10})
    state.change(owner, page_notes[0].post_id, {"progress": 0.5})
    after = export.render("zip", export.notes_for_export(owner), base_url=BASE).content
    assert after == before


def test_jsonld_holds_page_notes_without_selector_and_my_tags_as_a_tagging_annotation(
    owner, page_notes, tricky_post
):
    data = export.jsonld_collection(export.notes_for_export(owner), base_url=BASE)
    items = data["first"]["items"]
    assert data["total"] == len(items) == len(page_notes) + 1
    tagging = items[0]  # first in its post
    assert tagging["motivation"] == "tagging"
    assert tagging["id"] == f"{BASE}/api/posts/{tricky_post.pk}/state"
    assert tagging["target"] == {"source": tricky_post.url}
    assert [b["value"] for b in tagging["body"]] == sorted(MY_TAGS, key=str.casefold)
    assert {b["purpose"] for b in tagging["body"]} == {"tagging"}
    assert tagging["pizhu"] == {"post": tricky_post.pk, "ownTags": True}
    notes = [i for i in items if i.get("pizhu", {}).get("pageNote")]
    assert [n["body"][0]["value"][:6] for n in notes] == ["整篇的**要", "# 第二条 "]
    assert all(n["target"] == {"source": tricky_post.url} for n in notes)
    assert items[1:3] == notes  # the page notes come before the passages


def own(user) -> dict[str, list[str]]:
    """A user's own tags by article URL."""
    states = ReadingState.objects.filter(user=user).select_related("post")
    return {s.post.url: sorted(t.name for t in s.tags.all()) for s in states if s.tags.exists()}


def page_notes_of(user) -> list[tuple]:
    found = Annotation.objects.filter(user=user, exact="", start=0, end=0)
    return sorted((a.post_id, a.body, a.colour, tag_names(a), a.created_at) for a in found)


def test_jsonld_round_trip_into_another_user_brings_page_notes_and_my_tags_once(
    owner, other, page_notes, tagged_only_post, tmp_path
):
    out = tmp_path / "notes.jsonld"
    call_command("export_notes", user="owner", format="jsonld", out=str(out))
    state.change(other, tagged_only_post.pk, {"tags": ["已有"]})  # kept: the import adds

    call_command("import_notes", str(out), user="other")

    assert page_notes_of(other) == page_notes_of(owner) != []
    assert own(other) == {
        "https://example.org/tricky": sorted(MY_TAGS),
        "https://example.org/only": ["已有", "待读"],
    }
    passages = Annotation.objects.filter(user=other).exclude(exact="").count()
    assert passages == len(page_notes) - 2
    count = Annotation.objects.count()
    call_command("import_notes", str(out), user="other")  # twice adds nothing
    assert Annotation.objects.count() == count
    assert own(other)["https://example.org/only"] == ["已有", "待读"]
    assert own(owner) == {"https://example.org/tricky": sorted(MY_TAGS),
                          "https://example.org/only": ["待读"]}  # fmt: skip


def test_jsonld_round_trip_after_deleting_gives_the_same_page_notes_and_tags(
    owner, page_notes, tmp_path
):
    before = (page_notes_of(owner), own(owner))
    out = tmp_path / "notes.jsonld"
    call_command("export_notes", user="owner", format="jsonld", out=str(out))
    Annotation.objects.all().delete()
    ReadingState.objects.all().delete()
    call_command("import_notes", str(out), user="owner")
    assert (page_notes_of(owner), own(owner)) == before


def test_nobody_exports_another_users_page_notes_or_tags(
    owner, other, owner_client, other_client, page_notes, tricky_post, tmp_path
):
    page_note(other, tricky_post, "别人的页面笔记", visibility="everyone")
    state.change(other, tricky_post.pk, {"tags": ["别人的标签"]})
    for fmt in ("md", "zip", "jsonld"):
        mine = owner_client.get(f"/notes/export.{fmt}").content
        theirs = other_client.get(f"/notes/export.{fmt}").content
        if fmt == "zip":
            mine, theirs = unzipped(mine), unzipped(theirs)
        mine, theirs = mine.decode(), theirs.decode()
        assert "别人的" not in mine and "整篇的" in mine and "市场_观察" in mine.replace(" ", "_")
        assert "别人的页面笔记" in theirs and "别人的标签" in theirs
        assert "整篇的" not in theirs and "市场" not in theirs and "Économie" not in theirs


def unzipped(content: bytes) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return b"\n".join(archive.read(name) for name in archive.namelist())


@pytest.mark.parametrize(
    ("query", "has_only_tagged"),
    [("", True), ("kind=note", False), ("mytag=待读", True), ("mytag=要点", False),
     ("source=示例日报", True), ("tag=要点", False)],
)  # fmt: skip
def test_the_export_pages_take_posts_with_only_my_tags_as_the_notebook_lists_them(
    owner_client, page_notes, tagged_only_post, query, has_only_tagged
):
    data = owner_client.get(f"/notes/export.jsonld?{query}").json()
    sources = {item["target"]["source"] for item in data["first"]["items"]}
    assert ("https://example.org/only" in sources) is has_only_tagged
    one = owner_client.get(f"/notes/export.md?post={tagged_only_post.pk}").content.decode()
    assert one.endswith("# 只有标签\n\n我的标签 My tags: #待读\n")


def test_the_export_command_takes_posts_with_only_my_tags_unless_asked_for_a_tag(
    owner, page_notes, tagged_only_post, tmp_path
):
    call_command("export_notes", user="owner", format="markdown", out=str(tmp_path / "all"))
    assert len(list((tmp_path / "all").glob("*.md"))) == 2
    call_command(
        "export_notes", user="owner", format="markdown", out=str(tmp_path / "one.md"),
        post=tagged_only_post.pk,
    )  # fmt: skip
    assert (tmp_path / "one.md").read_text().endswith("我的标签 My tags: #待读\n")
    call_command(
        "export_notes", user="owner", format="markdown", out=str(tmp_path / "tag"), tag="要点"
    )
    assert len(list((tmp_path / "tag").glob("*.md"))) == 1
