"""Keeping up with an archive that grows: a git checkout pulled, then imported again.

The archive's generator commits new posts every day. ``sync`` optionally fast-forwards the
checkout (``git pull --ff-only``: never a merge, so what is imported is exactly a commit of
the archive), then runs the ordinary incremental import (``archive.importer``) on its posts:
new and changed files are read, files that left mark their posts gone, and annotations of
rewritten posts are re-anchored. Every run, of this and of ``import_posts``, is recorded as
an ``ImportRun`` (``recorded``), refused ones too, for the admin's list of runs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.utils import timezone

from archive.importer import ImportReport, import_paths
from archive.models import ImportRun

# A pull over a slow network may take a while; one that hangs must not hold the timer's
# next runs back for ever.
GIT_TIMEOUT = 600


class SyncRefused(Exception):
    """The checkout cannot be synced as asked (not a git checkout, not a fast-forward):
    nothing was imported."""


def posts_folder(checkout: Path) -> Path:
    """What to import from a checkout: its ``_posts`` folder (a Jekyll site's), or the
    checkout itself when it has none (an archive of posts alone)."""
    posts = checkout / "_posts"
    return posts if posts.is_dir() else checkout


def _git(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(  # noqa: S603 - git, with arguments of our own
            ["git", "-C", str(checkout), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            # Never wait for a password prompt; git's messages in English for the report.
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError as exc:
        raise SyncRefused("git is not installed (or not on PATH)") from exc
    except subprocess.TimeoutExpired as exc:
        raise SyncRefused(f"git {args[0]} took longer than {GIT_TIMEOUT} s: stopped") from exc


def is_checkout(path: Path) -> bool:
    result = _git(path, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == "true"


def head(checkout: Path) -> str:
    """The commit checked out, or "" (not a checkout, no commit yet, no git)."""
    try:
        result = _git(checkout, "rev-parse", "--verify", "--quiet", "HEAD")
    except SyncRefused:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def pull(checkout: Path) -> tuple[str, str]:
    """Fast-forward ``checkout`` to its upstream; (commit before, commit after). Raises
    SyncRefused when it is not a git checkout or the pull is not a fast-forward (the
    checkout is then left as it was: git changes nothing when it refuses)."""
    if not is_checkout(checkout):
        raise SyncRefused(f"{checkout} is not a git checkout: --pull needs one (git clone …)")
    before = head(checkout)
    result = _git(checkout, "pull", "--ff-only")
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())
        raise SyncRefused(
            f"git pull --ff-only failed in {checkout}, nothing imported "
            f"(a pull that is not a fast-forward is refused: the checkout has commits or "
            f"changes of its own): {said}"
        )
    return before, head(checkout)


@contextmanager
def recorded(command: str, roots: list[str]) -> Iterator[ImportRun]:
    """An ``ImportRun`` for the run inside: made when it starts, finished when it ends. The
    caller fills in what the run did (``ImportRun.record``); a run that raises is recorded
    as failed, with why."""
    run = ImportRun.objects.create(
        command=command, root="\n".join(map(str, roots)), started_at=timezone.now()
    )
    try:
        yield run
    except BaseException as exc:
        run.status, run.error = ImportRun.Status.FAILED, str(exc) or type(exc).__name__
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()


def sync(
    path: str | os.PathLike, *, pull_first: bool = False, **import_options
) -> tuple[ImportRun, ImportReport]:
    """Sync the archive at ``path`` (see the module docstring): the run as recorded, and the
    import's report. ``import_options`` go to ``import_paths`` (jobs, progress...). Raises
    SyncRefused (recorded as a failed run) when the pull is refused."""
    checkout = Path(path).expanduser().resolve()
    if not checkout.is_dir():
        raise SyncRefused(f"{path}: no such folder")
    folder = posts_folder(checkout)
    with recorded("sync_archive", [folder]) as run:
        if pull_first:
            run.git_before, run.git_after = pull(checkout)
        else:
            run.git_before = run.git_after = head(checkout)
        report = import_paths([folder], **import_options)
        run.record(report)
    return run, report
