"""The import_posts command: a thin wrapper; these check its contract (output, report, exit)."""

import json
import os
import resource
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.cleaning import CLEANER_VERSION
from archive.models import Post
from archive.tests.test_pipeline import process_files_dying_always, within
from conftest import render_post, run_python

pytestmark = pytest.mark.django_db


def manage(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run manage.py as a user would, in DEBUG, on an SQLite file in data_dir."""
    env = {"DEBUG": "1", "PIZHU_DATA_DIR": str(data_dir), **(env or {})}
    return run_python("manage.py", *args, env=env, timeout=120, preexec_fn=_at_most_4_gb)


def _at_most_4_gb():
    # A run that read /dev/zero whole would take the machine's memory before its timeout.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_prints_a_summary_line_and_writes_the_json_report(archive_dir, tmp_path, capsys):
    archive_dir.write("2024-01-01-a.md", url="https://example.org/a")
    archive_dir.write("2024-01-02-b.md", url="https://example.org/a")
    report_file = tmp_path / "report.json"
    call_command("import_posts", str(archive_dir), "--report", str(report_file))
    out = capsys.readouterr()
    assert "created 1, updated 0, unchanged 0, duplicates 1, failed 0, warnings 0 in " in out.out
    assert "posts/s" in out.out
    assert "duplicate: https://example.org/a in " in out.err
    report = json.loads(report_file.read_text())
    assert set(report) >= {
        "created",
        "updated",
        "unchanged",
        "duplicates",
        "failed",
        "warnings",
        "seconds",
    }
    assert report["duplicates"][0]["url"] == "https://example.org/a"
    assert len(report["duplicates"][0]["paths"]) == 2


def test_failed_files_are_named_and_the_command_fails_with_status_2(archive_dir, tmp_path, capsys):
    archive_dir.write("2024-01-01-good.md")
    bad = archive_dir.write("2024-01-02-bad.md", content="no front matter here")
    report_file = tmp_path / "report.json"
    with pytest.raises(CommandError) as excinfo:
        call_command("import_posts", str(archive_dir), "--report", str(report_file))
    assert excinfo.value.returncode == 2
    assert f"failed: {bad}: no front matter" in capsys.readouterr().err
    assert Post.objects.count() == 1
    assert json.loads(report_file.read_text())["failed"][0]["path"] == str(bad)


def test_dry_run_writes_nothing(archive_dir, capsys):
    archive_dir.write()
    call_command("import_posts", str(archive_dir), "--dry-run")
    assert "[dry run] created 1" in capsys.readouterr().out
    assert not Post.objects.exists()


def test_missing_path_is_a_usage_error_with_status_1(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder") as excinfo:
        call_command("import_posts", str(tmp_path / "nope"))
    assert excinfo.value.returncode == 1


def test_report_in_a_missing_folder_is_a_usage_error(archive_dir, tmp_path):
    with pytest.raises(CommandError, match="does not exist") as excinfo:
        call_command("import_posts", str(archive_dir), "--report", str(tmp_path / "no/r.json"))
    assert excinfo.value.returncode == 1


@pytest.mark.parametrize(
    ("args", "status"),
    [([], 1), (["--jobs", "x", "fixtures/posts"], 1), (["--jobs", "0", "fixtures/posts"], 1)],
)
def test_exit_status_from_the_command_line(args, status, tmp_path):
    result = manage(tmp_path, "import_posts", *args)
    assert result.returncode == status, result.stderr


def test_reclean_posts_recomputes_derived_fields(archive_dir, capsys):
    archive_dir.write()
    call_command("import_posts", str(archive_dir))
    Post.objects.update(body_html="stale", text="stale", cleaner_version=0)
    call_command("reclean_posts")
    post = Post.objects.get()
    assert post.text == "正文第一段。\n第二段。" and post.cleaner_version == CLEANER_VERSION
    assert "re-cleaned 1 posts" in capsys.readouterr().out


def test_command_line_import_into_a_file_database_twice(tmp_path):
    """The `make run` path: a real SQLite file in WAL mode, two runs, exit status 2 each time
    because the demo posts hold two broken files on purpose."""
    assert manage(tmp_path, "migrate", "-v0").returncode == 0
    first = manage(tmp_path, "import_posts", "fixtures/posts", "--jobs", "2")
    assert first.returncode == 2, first.stderr
    assert "created 18, updated 0, unchanged 0, duplicates 1, failed 2" in first.stdout
    # Two broken files on purpose: said as what happened, not as a crash.
    assert "SomeFilesFailed: 2 of 21 files could not be imported" in first.stderr
    assert "Traceback" not in first.stderr
    second = manage(tmp_path, "import_posts", "fixtures/posts")
    assert "created 0, updated 0, unchanged 18, duplicates 1, failed 2" in second.stdout
    assert not (tmp_path / "pizhu.sqlite3-wal").exists() or (
        (tmp_path / "pizhu.sqlite3-wal").stat().st_size == 0
    ), "the import ends with a full checkpoint"


def test_warnings_are_counted_apart_from_failures(archive_dir, capsys):
    archive_dir.write(author="@someone: x")  # read leniently, with a warning
    call_command("import_posts", str(archive_dir))
    out = capsys.readouterr()
    assert "failed 0, warnings 1 in " in out.out
    assert "warning: " in out.err and "failed:" not in out.err


def test_paths_that_cannot_be_read_are_named_and_the_rest_imports(tmp_path):
    """The bad paths the issue tracker saw stopped the run (a file name that is not UTF-8:
    a traceback) or hung it (a link to /dev/zero, a FIFO). Each is named with its reason."""
    archive = tmp_path / "_posts"
    archive.mkdir()
    (archive / "2024-01-02-good.md").write_text(render_post(url="https://example.org/good"))
    big = archive / "2024-01-02-big.md"
    big.write_text(render_post(url="https://example.org/big", body="<p>" + "x" * 5000 + "</p>"))
    (archive / "2024-01-02-zero.md").symlink_to("/dev/zero")
    os.mkfifo(archive / "2024-01-02-pipe.md")
    with open(os.path.join(os.fsencode(archive), b"2024-01-02-\xff.md"), "wb") as file:
        file.write(render_post(url="https://example.org/bad-name").encode())
    assert manage(tmp_path, "migrate", "-v0").returncode == 0
    result = manage(tmp_path, "import_posts", str(archive), env={"PIZHU_MAX_POST_BYTES": "4096"})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "created 1, updated 0, unchanged 0, duplicates 0, failed 4" in result.stdout
    assert "SomeFilesFailed: 4 of 5 files could not be imported" in result.stderr
    for path, reason in [
        (big, f"{big.stat().st_size:,} bytes, over the limit of 4,096 bytes"),
        ("/dev/zero", "not a regular file (a character device)"),
        (archive / "2024-01-02-pipe.md", "not a regular file (a FIFO)"),
        (f"{archive}/2024-01-02-\\xff.md", "file name is not UTF-8"),
    ]:
        assert f"failed: {path}: {reason}" in result.stderr


def test_workers_that_die_whatever_they_read_stop_the_run_with_status_3(
    archive_dir, monkeypatch, capsys
):
    from archive import importer

    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(importer, "process_files", process_files_dying_always)
    for n in range(5):
        archive_dir.write(f"2024-01-02-p{n}.md", url=f"https://example.org/{n}")
    with within(120), pytest.raises(CommandError) as excinfo:
        call_command("import_posts", str(archive_dir), "--jobs", "2")
    assert excinfo.value.returncode == 3
    assert type(excinfo.value).__name__ == "ImportStopped"
    assert str(excinfo.value).startswith("worker processes died on 3 files in a row, each read")
