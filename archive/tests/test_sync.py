"""archive.sync and ``manage.py sync_archive``: an archive that is a git checkout, pulled and
imported again, with posts that leave marked gone and every run recorded."""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations import services
from annotations.models import Annotation, State
from annotations.values import Changes, Target
from archive.importer import ImportReport, import_paths
from archive.models import ImportRun, Post
from archive.sync import posts_folder
from archive.writer import PostWriter, follower_counts
from conftest import render_post, run_python, save_screenshot, sign_in

GONE_BANNER = "此文的文件已不在文库中"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Generator",
    "GIT_AUTHOR_EMAIL": "generator@example.org",
    "GIT_COMMITTER_NAME": "Generator",
    "GIT_COMMITTER_EMAIL": "generator@example.org",
}
KEPT = "<div><p>这一篇不会改动，内容一直都在。</p></div>"
CHANGED_BEFORE = "<div><p>央行宣布降息，市场反应平淡。</p><p>分析人士认为经济仍在放缓。</p></div>"
# A paragraph added before the annotated one: the passage moves and must be followed.
CHANGED_AFTER = (
    "<div><p>更新：本文已补充最新消息。</p><p>央行宣布降息，市场反应平淡。</p>"
    "<p>分析人士认为经济仍在放缓。</p></div>"
)
DELETED = "<div><p>这一篇后来从文库里删掉了，批注要留下。</p></div>"
NEW = "<div><p>今天新增的一篇文章。</p></div>"


def git(where: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(where), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return result.stdout.strip()


def write_post(folder: Path, name: str, url: str, body: str) -> None:
    (folder / "_posts").mkdir(parents=True, exist_ok=True)
    (folder / "_posts" / name).write_text(render_post(url=url, body=body, title=name), "utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(autouse=True)
def _no_git_above(tmp_path, monkeypatch):
    """git must not find a repository above tmp_path (a folder that is not a checkout)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def origin(tmp_path):
    """The generator's repository, with three posts committed."""
    repo = tmp_path / "origin"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    write_post(repo, "2024-01-01-kept.md", "https://example.org/kept", KEPT)
    write_post(repo, "2024-01-02-changed.md", "https://example.org/changed", CHANGED_BEFORE)
    write_post(repo, "2024-01-03-deleted.md", "https://example.org/deleted", DELETED)
    commit(repo, "three posts")
    return repo


@pytest.fixture
def checkout(tmp_path, origin):
    """This server's clone of the archive."""
    clone = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "--quiet", str(origin), str(clone)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return clone


def sync_archive(*args) -> str:
    out = _Out()
    call_command("sync_archive", *map(str, args), "--jobs", "1", stdout=out, stderr=_Out())
    return out.text


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def highlight(user, post: Post, quote: str) -> Annotation:
    start = post.text.index(quote)
    target = Target(
        source=post.url, post_id=post.pk, exact=quote, start=start, end=start + len(quote)
    )
    return services.create(user, Changes(target=target, kind="highlight", colour="yellow"))


def the_next_day(origin: Path) -> str:
    """The generator's next commit: a new post, a changed one, a deleted one."""
    write_post(origin, "2024-01-04-new.md", "https://example.org/new", NEW)
    write_post(origin, "2024-01-02-changed.md", "https://example.org/changed", CHANGED_AFTER)
    (origin / "_posts" / "2024-01-03-deleted.md").unlink()
    return commit(origin, "a new, a changed and a deleted post")


# --- the round trip ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pull_imports_the_new_the_changed_and_marks_the_deleted_gone(
    origin, checkout, owner, owner_client
):
    first = sync_archive(checkout, "--pull")
    assert "created 3, updated 0, unchanged 0" in first and "gone 0" in first
    changed = Post.objects.get(url="https://example.org/changed")
    deleted = Post.objects.get(url="https://example.org/deleted")
    on_changed = highlight(owner, changed, "经济仍在放缓")
    on_deleted = highlight(owner, deleted, "批注要留下")
    before = git(checkout, "rev-parse", "HEAD")
    after = the_next_day(origin)

    out = sync_archive(checkout, "--pull")

    assert "created 1, updated 1, unchanged 1, duplicates 0, failed 0" in out
    assert "; gone 1; annotations re-anchored 1, orphaned 0" in out
    assert f"git pull: {before[:12]} → {after[:12]}" in out
    assert git(checkout, "rev-parse", "HEAD") == after
    on_changed.refresh_from_db()
    changed.refresh_from_db()
    assert on_changed.state == State.ANCHORED
    assert changed.text[on_changed.start : on_changed.end] == "经济仍在放缓"
    assert on_changed.start > changed.text.index("更新")  # followed to its new place
    # The deleted post stays, readable, with its annotation, and says so.
    deleted.refresh_from_db()
    assert deleted.gone_at is not None
    assert Annotation.objects.filter(pk=on_deleted.pk, state=State.ANCHORED).exists()
    page = owner_client.get(f"/posts/{deleted.pk}/")
    assert page.status_code == 200
    assert GONE_BANNER in page.content.decode() and "批注要留下" in page.content.decode()
    assert GONE_BANNER not in owner_client.get(f"/posts/{changed.pk}/").content.decode()
    assert Post.objects.filter(gone_at__isnull=True).count() == 3
    # Lists say it too, and never call it new.
    listing = owner_client.get("/").content.decode()
    item = listing[listing.index(f'data-post-id="{deleted.pk}"') :].split("</li>")[0]
    assert "data-gone" in item and "data-new" not in item
    changed_item = listing[listing.index(f'data-post-id="{changed.pk}"') :].split("</li>")[0]
    assert "data-gone" not in changed_item


@pytest.mark.django_db
def test_each_run_is_recorded_with_its_commits_and_counts(origin, checkout, owner):
    sync_archive(checkout, "--pull")
    highlight(owner, Post.objects.get(url="https://example.org/changed"), "经济仍在放缓")
    before = git(checkout, "rev-parse", "HEAD")
    after = the_next_day(origin)
    sync_archive(checkout, "--pull")
    first, second = ImportRun.objects.order_by("started_at", "id")
    assert (first.command, first.status, first.created) == ("sync_archive", "ok", 3)
    assert first.git_before == first.git_after == before
    assert (second.git_before, second.git_after) == (before, after)
    counts = (second.created, second.updated, second.unchanged, second.gone)
    assert counts == (1, 1, 1, 1)
    assert (second.reanchored, second.orphaned, second.failures) == (1, 0, [])
    assert second.root == str(checkout.resolve() / "_posts")
    assert second.finished_at >= second.started_at
    assert "gone 1" in second.summary


@pytest.mark.django_db
def test_a_file_that_comes_back_is_no_longer_gone(origin, checkout):
    sync_archive(checkout, "--pull")
    the_next_day(origin)
    sync_archive(checkout, "--pull")
    git(origin, "checkout", "--quiet", "HEAD~1", "--", "_posts/2024-01-03-deleted.md")
    commit(origin, "the deleted post is back")
    out = sync_archive(checkout, "--pull")
    assert "created 0, updated 0, unchanged 4" in out and "gone 0" in out
    assert not Post.objects.filter(gone_at__isnull=False).exists()
    assert Post.objects.count() == 4


@pytest.mark.django_db
def test_a_pull_that_is_not_a_fast_forward_is_refused_and_nothing_is_imported(origin, checkout):
    sync_archive(checkout, "--pull")
    the_next_day(origin)
    # The checkout got a commit of its own: the histories diverge.
    write_post(checkout, "2024-01-05-local.md", "https://example.org/local", NEW)
    local = commit(checkout, "a local edit")
    with pytest.raises(CommandError, match="fast-forward") as refused:
        sync_archive(checkout, "--pull")
    assert refused.value.returncode == 4
    assert git(checkout, "rev-parse", "HEAD") == local
    assert Post.objects.count() == 3 and not Post.objects.filter(gone_at__isnull=False).exists()
    run = ImportRun.objects.order_by("-id").first()
    assert run.status == ImportRun.Status.FAILED and "fast-forward" in run.error
    assert (run.created, run.updated, run.gone) == (0, 0, 0)


@pytest.mark.django_db
def test_pull_in_a_folder_that_is_not_a_git_checkout_is_refused(tmp_path):
    folder = tmp_path / "plain"
    write_post(folder, "2024-01-01-a.md", "https://example.org/a", KEPT)
    with pytest.raises(CommandError, match="is not a git checkout") as refused:
        sync_archive(folder, "--pull")
    assert refused.value.returncode == 4
    assert not Post.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


@pytest.mark.django_db
def test_without_pull_a_plain_folder_of_posts_is_imported(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "2024-01-01-a.md").write_text(render_post(url="https://example.org/a"), "utf-8")
    out = sync_archive(folder)
    assert "created 1" in out and "not pulled" not in out  # no commit to tell of
    run = ImportRun.objects.get()
    assert (run.root, run.git_before, run.status) == (str(folder.resolve()), "", "ok")


@pytest.mark.django_db
def test_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        sync_archive(tmp_path / "nowhere")


@pytest.mark.django_db
def test_files_that_fail_are_recorded_with_their_reasons(checkout):
    bad = checkout / "_posts" / "2024-01-09-bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\n<p>没有网址</p>\n", "utf-8")
    with pytest.raises(CommandError) as failed:
        sync_archive(checkout)
    assert failed.value.returncode == 2
    run = ImportRun.objects.get()
    # It did its work: the file that failed is named, the others imported.
    assert (run.status, run.created, run.failed) == ("partial", 3, 1)
    assert run.failures[0]["path"] == str(bad.resolve()) and run.failures[0]["reason"]


@pytest.mark.django_db
def test_import_posts_records_its_runs_too_but_not_a_dry_run(archive_dir):
    archive_dir.write()
    call_command("import_posts", str(archive_dir), "--dry-run", "--jobs", "1", stdout=_Out())
    assert not ImportRun.objects.exists()
    call_command("import_posts", str(archive_dir), "--jobs", "1", stdout=_Out())
    run = ImportRun.objects.get()
    assert (run.command, run.created, run.status, run.root) == (
        "import_posts",
        1,
        "ok",
        str(archive_dir),
    )


@pytest.mark.django_db
def test_a_batch_retried_file_by_file_counts_its_annotations_once(archive_dir, owner, monkeypatch):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a", body=CHANGED_BEFORE)
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b", title="好")
    import_paths([archive_dir])
    highlight(owner, Post.objects.get(url="https://example.org/a"), "经济仍在放缓")
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a", body=CHANGED_AFTER)
    archive_dir.write("2024-01-02-b.md", url="https://example.org/b", title="坏")
    original = PostWriter._replace_tags

    def explode_on_bad(self, posts, previously_tagged):
        # After the annotations followed the rewrite: the batch fails, then each file alone.
        if any(item.post.title == "坏" for _, item in posts):
            raise ValueError("bad tags")
        return original(self, posts, previously_tagged)

    monkeypatch.setattr(PostWriter, "_replace_tags", explode_on_bad)
    report = import_paths([archive_dir], jobs=1)
    assert (report.updated, len(report.failed)) == (1, 1)
    assert (report.reanchored, report.orphaned) == (1, 0)


# --- the admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_the_runs_and_shows_one_read_only(origin, checkout, admin_client):
    sync_archive(checkout, "--pull")
    the_next_day(origin)
    (checkout / "_posts" / "2024-01-09-bad.md").write_text("---\n---\n<p>x</p>\n", "utf-8")
    with pytest.raises(CommandError):
        sync_archive(checkout, "--pull")
    listing = admin_client.get("/admin/archive/importrun/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "+3 new, 0 updated, 0 gone" in html and "+1 new, 1 updated, 1 gone" in html
    assert "0 re-anchored, 0 orphaned" in html  # nobody annotated anything
    run = ImportRun.objects.get(status="partial")
    assert "done, some files failed" in html
    detail = admin_client.get(f"/admin/archive/importrun/{run.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "2024-01-09-bad.md" in page and 'name="_save"' not in page  # nothing to save
    assert admin_client.get("/admin/archive/importrun/add/").status_code == 403
    gone = admin_client.get("/admin/archive/post/?gone_at__isempty=0").content.decode()
    assert "2024-01-03-deleted.md" in gone and "2024-01-01-kept.md" not in gone


@pytest.mark.django_db
def test_the_runs_are_for_staff_only(client, owner_client):
    assert client.get("/admin/archive/importrun/").status_code == 302
    assert owner_client.get("/admin/archive/importrun/").status_code == 302


# --- in the browser --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_a_gone_post_reads_with_its_banner_at_any_width(
    page, live_server, archive_dir, owner, width
):
    archive_dir.write("2024-01-01-kept.md", url="https://example.org/kept")
    leaving = archive_dir.write("2024-01-02-gone.md", url="https://example.org/gone", body=DELETED)
    import_paths([archive_dir])
    post = Post.objects.get(url="https://example.org/gone")
    highlight(owner, post, "批注要留下")
    leaving.unlink()
    assert import_paths([archive_dir]).gone == 1
    sign_in(page, live_server, owner)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/posts/{post.pk}/")
    banner = page.locator(".gone-post")
    banner.wait_for()
    assert "no longer in the archive" in banner.inner_text()
    page.locator("mark[data-annotation]").first.wait_for()  # the highlight is painted
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"gone-post-{width}")
    assert page.errors == []


# --- pure helpers ----------------------------------------------------------------------------


def test_the_posts_folder_of_a_checkout_is_its_posts_folder_when_it_has_one(tmp_path):
    assert posts_folder(tmp_path) == tmp_path
    (tmp_path / "_posts").mkdir()
    assert posts_folder(tmp_path) == tmp_path / "_posts"


def test_a_run_keeps_its_counts_and_only_so_many_failures():
    failed = [
        {"path": f"/a/{n}.md", "error": "bad"} for n in range(ImportRun.MAX_FAILURES_KEPT + 5)
    ]
    report = ImportReport(created=2, updated=1, gone=3, reanchored=4, orphaned=1, failed=failed)
    run = ImportRun()
    run.record(report)
    assert (run.created, run.updated, run.gone, run.reanchored, run.orphaned) == (2, 1, 3, 4, 1)
    assert run.failed == ImportRun.MAX_FAILURES_KEPT + 5
    assert len(run.failures) == ImportRun.MAX_FAILURES_KEPT
    assert run.failures[0] == {"path": "/a/0.md", "reason": "bad"}
    assert run.status == ImportRun.Status.SOME_FILES_FAILED


def test_the_outcomes_receivers_return_are_added_up_and_anything_else_ignored():
    responses = [
        ("annotations", {"quote": 2, "orphaned": 1}),
        ("library", None),
        ("other", {"quote": 1, "note": "not a count"}),
    ]
    assert follower_counts(responses) == {"quote": 3, "orphaned": 1}


def test_a_wrong_option_is_a_usage_error_status_1_not_the_files_failed_2(tmp_path):
    result = run_python(
        "manage.py", "sync_archive", str(tmp_path), "--no-such-option",
        env={"DEBUG": "1", "PIZHU_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "unrecognized arguments: --no-such-option" in result.stderr
