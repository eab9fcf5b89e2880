"""archive.importer: the import rules, through the plain function (no command line)."""

import os

import pytest

from archive import run_tables, search
from archive.cleaning import CLEANER_VERSION
from archive.importer import ImportUsageError, discover, import_paths
from archive.models import ImportedFile, Post, Source
from archive.pipeline import DIED_READING, IN_FLIGHT_WARNING
from archive.tests.test_pipeline import process_files_dying_on_poison, within
from archive.writer import PostWriter
from conftest import render_post

pytestmark = pytest.mark.django_db


def test_imports_a_post_with_all_its_fields(archive_dir):
    archive_dir.write(title="标题", author="作者", tags="[ 甲, 乙 ]", categories="[ 来源 ]")
    report = import_paths([archive_dir])
    assert (report.created, report.updated, report.unchanged, report.failed) == (1, 0, 0, [])
    post = Post.objects.get()
    assert (post.title, post.author, post.source.name) == ("标题", "作者", "来源")
    assert set(post.tags.names()) == {"甲", "乙"}
    assert post.text == "正文第一段。\n第二段。"
    assert post.raw_front_matter.startswith("layout: post\n")
    assert post.body_html and post.cleaner_version == CLEANER_VERSION
    assert len(post.content_hash) == 64


def test_a_second_run_on_unchanged_files_changes_nothing(archive_dir):
    archive_dir.write()
    import_paths([archive_dir])
    before = Post.objects.values().get()
    report = import_paths([archive_dir])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Post.objects.values().get() == before


def hashed_paths(monkeypatch) -> list[str]:
    """Record which files the importer reads to hash (it skips those the ledger vouches for)."""
    from archive import importer

    seen: list[str] = []
    original = importer.hash_files

    def recording(paths, **options):
        seen.extend(paths)
        return original(paths, **options)

    monkeypatch.setattr(importer, "hash_files", recording)
    return seen


def test_an_unchanged_file_is_not_even_read_again(archive_dir, monkeypatch):
    archive_dir.write()
    import_paths([archive_dir])
    seen = hashed_paths(monkeypatch)
    report = import_paths([archive_dir], jobs=1)
    assert report.unchanged == 1 and seen == []


def test_a_touched_file_is_hashed_once_then_trusted_again(archive_dir, monkeypatch):
    path = archive_dir.write()
    import_paths([archive_dir])
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    seen = hashed_paths(monkeypatch)
    assert import_paths([archive_dir], jobs=1).unchanged == 1
    assert seen == [str(path.resolve())]
    assert ImportedFile.objects.get().mtime_ns == 1_700_000_000_000_000_000
    seen.clear()
    assert import_paths([archive_dir], jobs=1).unchanged == 1 and seen == []


def test_force_reads_a_file_whose_size_and_time_were_kept(archive_dir):
    # The trade-off make and rsync make too: same size and mtime count as unchanged.
    path = archive_dir.write(body="<p>甲版本</p>")
    import_paths([archive_dir])
    stat = path.stat()
    path.write_text(path.read_text("utf-8").replace("甲版本", "乙版本"), "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert import_paths([archive_dir]).unchanged == 1
    assert import_paths([archive_dir], force=True).updated == 1
    assert "乙版本" in Post.objects.get().text


def test_a_changed_file_updates_the_same_row(archive_dir):
    path = archive_dir.write(body="<p>旧版本</p>", tags="[ 旧 ]")
    import_paths([archive_dir])
    post_id = Post.objects.get().pk
    path.write_text(render_post(body="<p>新版本</p>", tags="[ 新 ]", title="新标题"))
    report = import_paths([archive_dir])
    assert (report.created, report.updated) == (0, 1)
    post = Post.objects.get()
    assert post.pk == post_id
    assert (post.title, post.text, list(post.tags.names())) == ("新标题", "新版本", ["新"])


def test_two_files_with_one_url_make_one_post_and_a_duplicate_entry(archive_dir):
    older = archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    newer = archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    report = import_paths([archive_dir])
    assert Post.objects.count() == 1
    assert Post.objects.get().text == "新"
    assert report.duplicates == [
        {"url": "https://example.org/post/1", "paths": [str(older), str(newer)], "kept": str(newer)}
    ]
    assert ImportedFile.objects.get(path=str(older)).status == "duplicate"


def test_duplicate_winner_does_not_depend_on_the_order_files_are_given(archive_dir, tmp_path):
    older = archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    newer = archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    import_paths([newer])
    import_paths([older, newer])
    assert Post.objects.get().text == "新"
    report = import_paths([archive_dir])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert len(report.duplicates) == 1


def test_duplicates_are_reported_again_on_a_no_op_run(archive_dir):
    archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    import_paths([archive_dir])
    report = import_paths([archive_dir])
    assert report.unchanged == 1 and len(report.duplicates) == 1


def test_when_the_winning_file_disappears_the_other_one_takes_over(archive_dir):
    archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    newer = archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    import_paths([archive_dir])
    post_id = Post.objects.get().pk
    newer.unlink()
    report = import_paths([archive_dir])
    assert report.updated == 1
    assert Post.objects.get().text == "旧" and Post.objects.get().pk == post_id


def test_bad_files_fail_alone_with_path_and_reason(archive_dir):
    good = archive_dir.write("2024-01-01-good.md")
    bad = archive_dir.write("2024-01-02-bad.md", content="<p>no front matter</p>")
    report = import_paths([archive_dir])
    assert report.created == 1
    assert report.failed == [
        {"path": str(bad), "error": "no front matter: the file does not start with a '---' line"}
    ]
    assert Post.objects.get().path == str(good)


def test_a_failed_file_leaves_no_post_row(archive_dir):
    archive_dir.write(url=None, header=False)
    import_paths([archive_dir])
    assert not Post.objects.exists()
    assert ImportedFile.objects.get().status == "failed"


def test_a_post_that_breaks_the_database_fails_alone(archive_dir, monkeypatch):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b", title="坏")
    original = PostWriter.post_fields

    def explode_on_bad(self, item):
        fields = original(self, item)
        if item.post.title == "坏":
            fields["title"] = None  # NOT NULL: the database refuses the row
        return fields

    monkeypatch.setattr(PostWriter, "post_fields", explode_on_bad)
    report = import_paths([archive_dir])
    assert report.created == 1
    assert [f["path"].endswith("b.md") for f in report.failed] == [True]
    assert report.failed[0]["error"].startswith("database:")
    assert list(Post.objects.values_list("url", flat=True)) == ["https://example.org/a"]


def test_a_previously_failed_file_is_retried(archive_dir):
    path = archive_dir.write(content="<p>broken</p>")
    assert len(import_paths([archive_dir]).failed) == 1
    path.write_text(render_post())
    report = import_paths([archive_dir])
    assert report.created == 1 and report.failed == []


def test_a_post_that_starts_failing_keeps_its_row(archive_dir):
    path = archive_dir.write()
    import_paths([archive_dir])
    path.write_text("<p>now broken</p>")
    report = import_paths([archive_dir])
    assert len(report.failed) == 1
    assert Post.objects.get().text == "正文第一段。\n第二段。"


def test_dry_run_parses_everything_and_writes_nothing(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    archive_dir.write("2024-01-02-b.md", content="broken")
    report = import_paths([archive_dir], dry_run=True)
    assert (report.created, len(report.failed), report.dry_run) == (1, 1, True)
    assert not Post.objects.exists() and not Source.objects.exists()
    assert not ImportedFile.objects.exists()


def test_warnings_name_the_file(archive_dir):
    path = archive_dir.write(author="@someone: x")
    report = import_paths([archive_dir])
    assert report.warnings[0]["path"] == str(path)
    assert "not valid YAML" in report.warnings[0]["message"]


def test_force_rereads_unchanged_files(archive_dir):
    archive_dir.write()
    import_paths([archive_dir])
    report = import_paths([archive_dir], force=True)
    assert report.unchanged == 1 and report.updated == 0


def test_worker_processes_give_the_same_result_as_one_process(archive_dir, monkeypatch):
    from archive import importer

    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 50)
    for n in range(60):
        archive_dir.write(
            f"2024-01-{n % 28 + 1:02d}-p{n}.md",
            url=f"https://example.org/{n % 55}",
            title=f"臺灣第{n}篇",
            tags=f"[ 标签{n % 7} ]",
        )
    archive_dir.write("2024-02-01-broken.md", content="broken")
    parallel = import_paths([archive_dir], jobs=2)
    # Workers fold traditional characters for the search index as this process does.
    assert search.search("台湾第7篇", Post.objects.all()).count() == 1
    rows = list(Post.objects.order_by("url").values_list("url", "title", "content_hash"))
    Post.objects.all().delete()
    ImportedFile.objects.all().delete()
    serial = import_paths([archive_dir], jobs=1)
    assert list(Post.objects.order_by("url").values_list("url", "title", "content_hash")) == rows
    assert (parallel.created, len(parallel.duplicates), len(parallel.failed)) == (55, 5, 1)
    assert (serial.created, serial.duplicates, serial.failed) == (
        parallel.created,
        parallel.duplicates,
        parallel.failed,
    )


def test_sources_get_unique_unicode_slugs(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a", categories="[ 日本経済新聞 ]")
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b", categories="[ Nei.st ]")
    archive_dir.write("2024-01-03-c.md", url="https://example.org/c", categories="[ Neist ]")
    import_paths([archive_dir])
    assert sorted(Source.objects.values_list("slug", flat=True)) == [
        "neist",
        "neist-2",
        "日本経済新聞",
    ]


def test_discover_searches_folders_and_takes_files_as_given(archive_dir, tmp_path):
    (archive_dir.path / "sub").mkdir()
    nested = archive_dir.write("sub/2024-01-01-a.md")
    archive_dir.write("notes.txt", content="not a post")
    (archive_dir.path / ".hidden").mkdir()
    archive_dir.write(".hidden/2024-01-01-h.md")
    explicit = tmp_path / "post.txt"
    explicit.write_text(render_post())
    assert sorted(discover([archive_dir, explicit])) == sorted([str(nested), str(explicit)])


def test_discover_refuses_missing_paths(tmp_path):
    with pytest.raises(ImportUsageError, match="no such file or folder"):
        discover([tmp_path / "missing"])


def test_each_file_is_imported_once_however_it_is_named(archive_dir, tmp_path):
    (archive_dir.path / "sub").mkdir()
    post = archive_dir.write("sub/2024-01-01-a.md", url="https://example.org/a")
    outside = tmp_path / "elsewhere" / "2024-01-02-b.md"
    outside.parent.mkdir()
    outside.write_text(render_post(url="https://example.org/b"))
    (archive_dir.path / "link-to-a.md").symlink_to(post)
    (archive_dir.path / "link-to-b.md").symlink_to(outside)
    (archive_dir.path / "sub" / "another-link-to-b.md").symlink_to(outside)
    report = import_paths([archive_dir, archive_dir.path / "sub", post, archive_dir.path])
    assert (report.files, report.created, report.duplicates) == (2, 2, [])
    assert sorted(ImportedFile.objects.values_list("path", flat=True)) == sorted(
        [str(post), str(outside)]
    )


def test_new_posts_are_numbered_in_file_name_order(archive_dir):
    names = [f"2024-01-{day:02d}-p.md" for day in (5, 1, 28, 12, 3, 19)]
    for number, name in enumerate(names):
        archive_dir.write(name, url=f"https://example.org/{number}")
    import_paths([archive_dir])
    by_id = Post.objects.order_by("id").values_list("path", flat=True)
    assert [os.path.basename(path) for path in by_id] == sorted(names)


def test_a_broken_link_fails_with_its_reason(archive_dir):
    (archive_dir.path / "2024-01-01-gone.md").symlink_to(archive_dir.path / "missing.md")
    report = import_paths([archive_dir])
    assert report.failed == [
        {
            "path": str(archive_dir.path / "missing.md"),
            "error": "cannot read: No such file or directory",
        }
    ]


def test_a_run_read_a_few_files_at_a_time_keeps_the_rules(archive_dir, monkeypatch):
    monkeypatch.setattr(run_tables, "ROWS_PER_QUERY", 2)
    # One URL in three files, far apart in the run's order; its winner is written before the
    # last of them is seen, and a file read later must not take its place.
    shared = "https://example.org/shared"
    archive_dir.write("2024-01-01-x.md", url=shared, body="<p>一</p>")
    for n in range(5):
        archive_dir.write(f"2024-02-0{n + 1}-other.md", url=f"https://example.org/{n}")
    newest = archive_dir.write("2024-03-01-x.md", url=shared, body="<p>三</p>")
    archive_dir.write("2024-04-01-broken.md", content="broken")
    archive_dir.write("2024-02-10-x.md", url=shared, body="<p>二</p>")
    first = import_paths([archive_dir])
    assert (first.files, first.created, len(first.failed)) == (9, 6, 1)
    assert Post.objects.get(url=shared).text == "三"
    assert first.duplicates[0]["kept"] == str(newest) and len(first.duplicates[0]["paths"]) == 3
    # Now an older duplicate changes, and a file nobody has seen arrives.
    archive_dir.write("2024-01-01-x.md", url=shared, body="<p>一改</p>")
    archive_dir.write("2024-05-01-new.md", url="https://example.org/new")
    second = import_paths([archive_dir])
    assert (second.created, second.updated, second.unchanged) == (1, 0, 6)
    assert Post.objects.get(url=shared).text == "三"
    assert second.duplicates == first.duplicates
    statuses = dict(ImportedFile.objects.filter(url=shared).values_list("path", "status"))
    assert sorted(statuses.values()) == ["duplicate", "duplicate", "imported"]
    assert statuses[str(newest)] == "imported"


def test_the_runs_temporary_tables_are_dropped_after_it(archive_dir):
    from django.db import DatabaseError, connection, transaction

    from archive.importer import _Run

    archive_dir.write()
    import_paths([archive_dir])
    for table in _Run(None, dry_run=False).tables():
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table.qualified}")  # noqa: S608


def test_imported_dates_sort_and_filter_like_orm_written_ones(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a", date="2024-01-01T23:00:00Z")
    archive_dir.write(
        "2024-01-02-b.md", url="https://example.org/b", date="2024-01-02T00:30:00+02:00"
    )
    import_paths([archive_dir])
    Post.objects.create(
        url="https://example.org/orm",
        title="orm",
        source=Source.objects.get(),
        raw_body="",
        raw_front_matter="",
        published_at="2024-01-01T23:30:00Z",
    )
    ordered = list(Post.objects.order_by("published_at").values_list("url", flat=True))
    assert ordered == ["https://example.org/b", "https://example.org/a", "https://example.org/orm"]
    window = {"published_at__gte": "2024-01-01T22:00:00Z", "published_at__lt": "2024-01-01T23:15Z"}
    assert Post.objects.filter(**window).count() == 2
    b = Post.objects.get(url="https://example.org/b")
    assert b.published_at.isoformat() == "2024-01-01T22:30:00+00:00"


def test_a_file_name_that_is_not_utf8_fails_alone_and_the_rest_imports(archive_dir):
    archive_dir.write("2024-01-02-good.md")
    bad_name = os.path.join(os.fsencode(archive_dir.path), b"2024-01-02-\xff\xfe.md")
    with open(bad_name, "wb") as file:
        file.write(render_post(url="https://example.org/other").encode())
    report = import_paths([archive_dir])
    assert (report.files, report.created) == (2, 1)
    assert report.failed == [
        {
            "path": f"{archive_dir.path}/2024-01-02-\\xff\\xfe.md",
            "error": "file name is not UTF-8: rename it to import it",
        }
    ]


def test_a_fifo_named_like_a_post_fails_alone_without_blocking_the_run(archive_dir):
    archive_dir.write("2024-01-02-good.md")
    fifo = archive_dir.path / "2024-01-02-pipe.md"
    os.mkfifo(fifo)
    with within(30):
        report = import_paths([archive_dir])
    assert report.created == 1
    assert report.failed == [{"path": str(fifo), "error": "not a regular file (a FIFO)"}]


def test_a_fifo_named_on_the_command_line_is_a_failed_file_not_a_missing_one(archive_dir):
    fifo = archive_dir.path / "2024-01-02-pipe.md"
    os.mkfifo(fifo)
    with within(30):
        report = import_paths([fifo])
    assert report.failed == [{"path": str(fifo), "error": "not a regular file (a FIFO)"}]


def test_a_link_to_a_device_fails_alone_and_a_link_to_a_file_still_imports(archive_dir, tmp_path):
    # A link is followed to what it names, which must be a regular file (where it lives does
    # not matter, as before).
    outside = tmp_path / "2024-01-02-elsewhere.md"
    outside.write_text(render_post(url="https://example.org/elsewhere"))
    (archive_dir.path / "2024-01-02-link.md").symlink_to(outside)
    (archive_dir.path / "2024-01-02-null.md").symlink_to("/dev/null")
    report = import_paths([archive_dir])
    assert Post.objects.get().path == str(outside)
    assert report.failed == [
        {"path": "/dev/null", "error": "not a regular file (a character device)"}
    ]


def test_a_post_over_the_size_limit_fails_alone_and_keeps_its_last_import(archive_dir, settings):
    path = archive_dir.write("2024-01-02-grows.md", body="<p>短</p>")
    archive_dir.write("2024-01-02-small.md", url="https://example.org/small")
    import_paths([archive_dir])
    settings.PIZHU_MAX_POST_BYTES = 2000
    path.write_text(render_post(body="<p>" + "长" * 1000 + "</p>"), "utf-8")
    size = path.stat().st_size
    report = import_paths([archive_dir])
    assert report.failed == [
        {
            "path": str(path),
            "error": f"{size:,} bytes, over the limit of 2,000 bytes (PIZHU_MAX_POST_BYTES)",
        }
    ]
    assert report.unchanged == 1
    assert Post.objects.get(path=str(path)).text == "短"


def test_a_worker_that_dies_fails_only_the_file_it_was_reading(archive_dir, monkeypatch):
    from archive import importer

    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(importer, "process_files", process_files_dying_on_poison)
    for n in range(30):
        archive_dir.write(f"2024-01-02-p{n:02d}.md", url=f"https://example.org/{n}")
    poison = archive_dir.write("2024-01-02-p15-poison.md", url="https://example.org/poison")
    with within(120):
        report = import_paths([archive_dir], jobs=2)
    assert report.failed == [{"path": str(poison), "error": DIED_READING}]
    assert report.created == 30 and Post.objects.count() == 30
    # The files that were in flight with it are named: read again, each on its own.
    in_flight = {w["path"] for w in report.warnings if w["message"] == IN_FLIGHT_WARNING}
    assert in_flight and str(poison) not in in_flight
    assert all(w["message"] == IN_FLIGHT_WARNING for w in report.warnings)


# --- posts whose files left the archive ----------------------------------------------------


def gone_urls() -> set[str]:
    return set(Post.objects.filter(gone_at__isnull=False).values_list("url", flat=True))


def test_a_post_whose_file_left_is_marked_gone_not_deleted(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    leaving = archive_dir.write("2024-01-02-b.md", url="https://example.org/b")
    import_paths([archive_dir])
    leaving.unlink()
    report = import_paths([archive_dir])
    assert (report.gone, report.unchanged) == (1, 1)
    assert gone_urls() == {"https://example.org/b"} and Post.objects.count() == 2
    assert not ImportedFile.objects.filter(path=str(leaving)).exists()  # the ledger forgets it
    assert "; gone 1;" in report.summary()
    assert import_paths([archive_dir]).gone == 0  # told once


def test_a_file_that_comes_back_clears_gone_and_keeps_the_post(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    leaving = archive_dir.write("2024-01-02-b.md", url="https://example.org/b")
    import_paths([archive_dir])
    content = leaving.read_bytes()
    leaving.unlink()
    import_paths([archive_dir])
    gone = Post.objects.get(url="https://example.org/b")
    leaving.write_bytes(content)
    report = import_paths([archive_dir])
    assert (report.created, report.unchanged, report.gone) == (0, 2, 0)
    back = Post.objects.get(url="https://example.org/b")
    assert gone.gone_at is not None and back.gone_at is None and back.pk == gone.pk
    assert back.updated_at > gone.updated_at  # cached pages drop the banner


def test_only_the_folder_imported_is_judged(archive_dir, tmp_path):
    other_root = tmp_path / "other"
    other_root.mkdir()
    elsewhere = other_root / "2024-01-01-x.md"
    elsewhere.write_text(render_post(url="https://example.org/x"), "utf-8")
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    import_paths([archive_dir])
    import_paths([other_root])
    elsewhere.unlink()
    assert import_paths([archive_dir]).gone == 0  # the other folder was not imported
    assert gone_urls() == set()
    assert import_paths([other_root]).gone == 0  # a folder with no posts left: see below
    assert import_paths([other_root, archive_dir]).gone == 0
    # A sibling folder whose name starts like this one's is not under it.
    sibling = tmp_path / "_posts-old"
    sibling.mkdir()
    (sibling / "2024-01-01-y.md").write_text(render_post(url="https://example.org/y"), "utf-8")
    import_paths([sibling])
    (sibling / "2024-01-01-y.md").unlink()
    assert import_paths([archive_dir]).gone == 0 and gone_urls() == set()


def test_a_folder_with_no_posts_left_marks_nothing_gone_and_says_so(archive_dir):
    only = archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    import_paths([archive_dir])
    only.unlink()  # an unmounted disk or a botched checkout looks like this
    report = import_paths([archive_dir])
    assert report.gone == 0 and gone_urls() == set()
    assert report.warnings == [
        {"path": str(archive_dir), "message": "no posts found here: none marked gone"}
    ]


def test_a_duplicate_that_leaves_does_not_make_its_winner_gone(archive_dir):
    older = archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    archive_dir.write("2024-01-03-other.md", url="https://example.org/other")
    import_paths([archive_dir])
    older.unlink()
    report = import_paths([archive_dir])
    assert (report.gone, report.duplicates) == (0, [])
    assert gone_urls() == set()


def test_when_the_winner_leaves_its_duplicate_carries_the_post_on(archive_dir):
    archive_dir.write("2024-01-01-a.md", body="<p>旧</p>")
    newer = archive_dir.write("2024-01-02-a.md", body="<p>新</p>")
    import_paths([archive_dir])
    newer.unlink()
    report = import_paths([archive_dir])
    assert (report.gone, report.updated) == (0, 1) and gone_urls() == set()


def test_a_renamed_file_carries_its_post_on(archive_dir):
    path = archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b")
    import_paths([archive_dir])
    renamed = path.rename(archive_dir.path / "2024-01-01-renamed.md")
    report = import_paths([archive_dir])
    assert report.gone == 0 and gone_urls() == set()
    assert Post.objects.get(url="https://example.org/a").path == str(renamed)


def test_a_post_whose_file_failed_then_left_is_gone(archive_dir):
    path = archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b")
    import_paths([archive_dir])
    path.write_text("<p>now broken</p>")
    import_paths([archive_dir])
    path.unlink()
    assert import_paths([archive_dir]).gone == 1
    assert gone_urls() == {"https://example.org/a"}


def test_a_dry_run_counts_the_gone_but_marks_nothing(archive_dir):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    leaving = archive_dir.write("2024-01-02-b.md", url="https://example.org/b")
    import_paths([archive_dir])
    leaving.unlink()
    assert import_paths([archive_dir], dry_run=True).gone == 1
    assert gone_urls() == set() and ImportedFile.objects.filter(path=str(leaving)).exists()
    assert import_paths([archive_dir]).gone == 1


def test_a_post_that_a_file_in_another_folder_still_carries_is_not_gone(archive_dir, tmp_path):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/shared", body="<p>甲</p>")
    other_root = tmp_path / "other"
    other_root.mkdir()
    copy = other_root / "2024-01-02-a.md"
    copy.write_text(render_post(url="https://example.org/shared", body="<p>乙</p>"), "utf-8")
    (other_root / "2024-01-03-b.md").write_text(render_post(url="https://example.org/b"), "utf-8")
    import_paths([archive_dir])
    import_paths([other_root])
    assert Post.objects.get(url="https://example.org/shared").path == str(copy)
    copy.unlink()
    assert import_paths([other_root]).gone == 0 and gone_urls() == set()
