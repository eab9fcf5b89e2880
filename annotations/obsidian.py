"""Notes kept in sync with a folder of an Obsidian vault: one Markdown file per annotated
post (and per post with the reader's own tags), the Markdown ``annotations.export`` makes.

A file is shared between Pizhu and the person who reads it in Obsidian:

- Pizhu owns the managed block, ``<!-- pizhu:begin post=12 user=NAME … -->`` …
  ``<!-- pizhu:end -->``, and the front matter keys the export writes (``OWNED_KEYS``, plus
  ``pizhu_post``). Everything else (text above and below the block, front matter keys the
  person added) is kept byte for byte; an edit inside the block is replaced by the next sync.
- A file is found by its block's ``post=`` marker, wherever it sits in the folder (also in
  subfolders) and whatever it is called: a renamed title keeps the file's name, so links to
  it in the vault hold. A new post's file is named like the export's.
- A post whose notes are all deleted keeps its file with an empty block (the person's text
  stays, and the front matter still says which post it is, without ``exported``).
- A file is rewritten only when its new bytes differ, through a temporary file in the same
  folder and a rename, and not when it changed on disk while the sync ran. The same notes
  give the same bytes (the export is deterministic), so a run with nothing changed writes
  nothing.
- Nothing is written outside the vault. A file Pizhu cannot safely rewrite (a block broken
  by hand, not UTF-8, a link out of the vault, too large) is skipped with the reason and
  its post gets no second file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from annotations import export
from annotations.models import with_tag_names
from archive.models import Post, TaggedPost

DEFAULT_FOLDER = "Pizhu"
# The keys ``export.front_matter`` writes (a test keeps this in step with it), and ours.
OWNED_KEYS = frozenset(
    {"title", "author", "source", "url", "published", "exported", "tags", "my_tags"}
) | {"pizhu_post"}
NOTICE = "Pizhu 同步区 synced by Pizhu: edits between these lines are replaced"
END_LINE = "<!-- pizhu:end -->"
# A notes file larger than this is not one Pizhu wrote (the largest post is 680 KB).
MAX_FILE_BYTES = 20_000_000

_BEGIN = re.compile(r"\s*<!--\s*pizhu:begin\b(?P<attributes>.*?)-->\s*")
_END = re.compile(r"\s*<!--\s*pizhu:end\s*-->\s*")
_POST = re.compile(r"\bpost=(\d+)\b")
_USER = re.compile(r"\buser=(\S+)")
_FRONT_POST = re.compile(r"pizhu_post:\s*['\"]?(\d+)['\"]?\s*")
_MARKER_BYTES = re.compile(rb"pizhu:begin\b[^\n]*?\bpost=(\d+)|^pizhu_post:\s*['\"]?(\d+)", re.M)
# A top-level YAML key line: lines after it up to the next one (indented lines, a list's
# "- " items, comments, blank lines) belong to its value.
_KEY = re.compile(r"""(?:"([^"]*)"|'([^']*)'|([^\s#"'\-?][^:]*?))[ \t]*:(?:[ \t]|\r?$)""")


class SyncError(ValueError):
    """A vault or folder the sync cannot use at all (nothing is written)."""


class Unusable(ValueError):
    """A file of this user's that Pizhu cannot safely rewrite; the message says why.
    ``post_id``: its post, when known (that post then gets no second file)."""

    def __init__(self, reason: str, post_id: int | None = None):
        super().__init__(reason)
        self.post_id = post_id


@dataclass
class Skipped:
    path: str  # as shown: relative to the vault
    reason: str


@dataclass
class SyncReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.written)} written, {self.unchanged} unchanged, {len(self.skipped)} skipped"
        )


# --- one file: what is Pizhu's, what is the person's ---------------------------------------


@dataclass
class NoteFile:
    """An existing notes file cut into Pizhu's parts and the person's (kept verbatim)."""

    post_id: int
    bom: str
    front: list[str] | None  # the front matter's lines between its fences; None: none
    front_open: str
    front_close: str
    before: str  # from after the front matter up to the begin line
    begin_eol: str
    end_eol: str
    after: str  # everything after the end line


def split_lines(text: str) -> list[str]:
    """Lines with their "\\n" kept (only "\\n" ends a line: joining them gives ``text``)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


def _eol(line: str) -> str:
    return line[len(_bare(line)) :]


def parse(text: str, username: str) -> NoteFile | None:
    """``text`` cut into its parts; None when it is not this user's notes file (no marker, or
    another user's block). Raises Unusable (naming the line) when it is this user's but its
    structure was broken by hand."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = split_lines(text[len(bom) :])
    front, unclosed, body = None, False, 0
    if lines and _bare(lines[0]).rstrip() == "---":
        closing = next(
            (i for i in range(1, len(lines)) if _bare(lines[i]).rstrip() in ("---", "...")), None
        )
        if closing is None:
            unclosed = True
        else:
            front, body = lines[1:closing], closing + 1
    front_post = next(
        (int(m[1]) for line in front or [] if (m := _FRONT_POST.fullmatch(_bare(line)))), None
    )
    begins = [(i, m) for i in range(body, len(lines)) if (m := _BEGIN.fullmatch(_bare(lines[i])))]
    ends = [i for i in range(body, len(lines)) if _END.fullmatch(_bare(lines[i]))]
    users = {u[1] for _, m in begins if (u := _USER.search(m["attributes"]))}
    if users and username not in users:
        return None  # another user's file
    if not begins and not ends and front_post is None:
        return None
    if unclosed:
        raise Unusable("its front matter (--- on line 1) is never closed by a --- line")
    if len(begins) > 1:
        raise Unusable(
            f"it has {len(begins)} pizhu:begin lines ({_line_numbers(i for i, _ in begins)})"
        )
    if not begins:
        if ends:
            raise Unusable(f"pizhu:end on {_line_numbers(ends)} has no pizhu:begin line above it")
        raise Unusable(
            f"its front matter names pizhu_post {front_post} but the managed block "
            "(<!-- pizhu:begin … --> … <!-- pizhu:end -->) is gone"
        )
    begin, match = begins[0]
    if not ends or ends[-1] < begin:
        raise Unusable(f"pizhu:begin on line {begin + 1} has no pizhu:end line below it")
    if len(ends) > 1 or ends[0] < begin:
        raise Unusable(f"it has {len(ends)} pizhu:end lines ({_line_numbers(ends)})")
    post = _POST.search(match["attributes"])
    if post is None:
        raise Unusable(f"pizhu:begin on line {begin + 1} names no post (post=ID)")
    post_id, end = int(post[1]), ends[0]
    if front_post is not None and front_post != post_id:
        raise Unusable(f"its front matter says pizhu_post {front_post}, its block post={post_id}")
    return NoteFile(
        post_id=post_id,
        bom=bom,
        front=front,
        front_open=lines[0] if front is not None else "",
        front_close=lines[body - 1] if front is not None else "",
        before="".join(lines[body:begin]),
        begin_eol=_eol(lines[begin]),
        end_eol=_eol(lines[end]),
        after="".join(lines[end + 1 :]),
    )


def _line_numbers(indexes) -> str:
    numbers = [str(i + 1) for i in indexes]
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(numbers)


@dataclass
class _KeyBlock:
    key: str | None  # None: comments or blank lines before the first key
    lines: list[str]


def key_blocks(lines: list[str]) -> list[_KeyBlock]:
    """Front matter lines grouped by top-level key, each with the lines of its value."""
    blocks = [_KeyBlock(None, [])]
    for line in lines:
        match = _KEY.match(line)
        if match and not line.startswith((" ", "\t")):
            blocks.append(_KeyBlock(next(g for g in match.groups() if g is not None), []))
        blocks[-1].lines.append(line)
    return [block for block in blocks if block.lines]


def merge_front_matter(existing: list[str] | None, owned: list[str]) -> list[str]:
    """Pizhu's keys as they are now, then the person's own keys as they wrote them."""
    kept = [b for b in key_blocks(existing or []) if b.key not in OWNED_KEYS]
    return owned + [line for block in kept for line in block.lines]


def _guard(block: str) -> str:
    """A note may hold a line that reads as a marker: it is made not to (a backslash), so
    the block always ends at Pizhu's own end line."""
    lines = split_lines(block)
    for i, line in enumerate(lines):
        if _BEGIN.fullmatch(_bare(line)) or _END.fullmatch(_bare(line)):
            lines[i] = line.replace("pizhu:", "pizhu\\:", 1)
    return "".join(lines)


def compose(
    existing: NoteFile | None,
    *,
    post_id: int,
    username: str,
    front: list[str] | None,
    block: str,
) -> str:
    """The file's new text: ``front`` (Pizhu's front matter lines; None keeps the file's as
    it is) merged with the person's keys, ``block`` (Markdown, empty or ending in a newline)
    between the markers, the person's text around it unchanged."""
    begin = f"<!-- pizhu:begin post={post_id} user={username} · {NOTICE} -->"
    block = _guard(block)
    if existing is None:
        return f"---\n{''.join(front or [])}---\n\n{begin}\n{block}{END_LINE}\n"
    lines = existing.front if front is None else merge_front_matter(existing.front, front)
    head = ""
    if lines is not None:
        head = (existing.front_open or "---\n") + "".join(lines) + (existing.front_close or "---\n")
    return (
        f"{existing.bom}{head}{existing.before}{begin}{existing.begin_eol or chr(10)}"
        f"{block}{END_LINE}{existing.end_eol}{existing.after}"
    )


def owned_front_matter(group: export.PostNotes, *, without: frozenset = frozenset()) -> list[str]:
    """The export's front matter lines for ``group`` (minus keys ``without``), and
    ``pizhu_post``, which says which post the file is for."""
    lines = split_lines(export.front_matter(group))[1:-1]  # inside the --- fences
    lines = [line for b in key_blocks(lines) if b.key not in without for line in b.lines]
    return [*lines, f"pizhu_post: {group.post.pk}\n"]


# --- the folder ------------------------------------------------------------------------------


def notes_folder(vault: str | os.PathLike, folder: str) -> tuple[Path, Path]:
    """(vault, folder), both resolved; the folder is made when missing. Refuses a vault that
    is not a folder and a folder that is not inside it."""
    vault_path = Path(vault)
    if not vault_path.is_dir():
        raise SyncError(f"--vault: {vault} is not an existing folder")
    relative = PurePath(folder)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise SyncError(f"--folder: {folder!r} must be a relative path inside the vault, no '..'")
    vault_path = vault_path.resolve()
    target = (vault_path / relative).resolve()
    if not target.is_relative_to(vault_path):
        raise SyncError(f"--folder: {folder!r} leads out of the vault (to {target}) by a link")
    if target.exists() and not target.is_dir():
        raise SyncError(f"--folder: {target} is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    return vault_path, target


@dataclass
class _Found:
    path: Path  # resolved: where it is read and written
    shown: str
    signature: tuple  # inode, size, mtime when read: a file changed since is left alone
    mode: int
    content: bytes  # as read
    note: NoteFile


def _signature(status: os.stat_result) -> tuple:
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _shown(path: Path, vault: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(vault))
    return str(path)


def _scan(vault: Path, folder: Path, username: str, report: SyncReport):
    """This user's notes files in ``folder`` by post id, and the posts whose file is there
    but cannot be rewritten (they get no second file)."""
    found: dict[int, list[_Found]] = {}
    blocked: set[int] = set()
    seen: set[Path] = set()
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))  # .obsidian, .trash
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(".md"):
                continue
            path = Path(directory) / name
            shown = _shown(path, vault)
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                report.skipped.append(Skipped(shown, f"a broken link ({exc}): not followed"))
                continue
            if not real.is_relative_to(vault):
                report.skipped.append(Skipped(shown, f"a link out of the vault (to {real})"))
                continue
            if real in seen:
                continue
            seen.add(real)
            try:
                entry = _read(real, shown, username)
            except Unusable as unusable:
                report.skipped.append(Skipped(shown, str(unusable)))
                if unusable.post_id is not None:
                    blocked.add(unusable.post_id)
                continue
            except OSError as exc:
                report.skipped.append(Skipped(shown, f"cannot be read: {exc.strerror or exc}"))
                continue
            if entry is not None:
                found.setdefault(entry.note.post_id, []).append(entry)
    usable = {}
    for post_id, entries in found.items():
        if len(entries) > 1 or post_id in blocked:
            names = ", ".join(e.shown for e in entries)
            for entry in entries:
                report.skipped.append(
                    Skipped(entry.shown, f"post {post_id} has more than one file ({names})")
                )
            blocked.add(post_id)
        else:
            usable[post_id] = entries[0]
    return usable, blocked


def _read(path: Path, shown: str, username: str) -> _Found | None:
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        return None  # a FIFO or device named .md is nobody's notes: never opened
    if status.st_size > MAX_FILE_BYTES:
        raise Unusable(f"larger than {MAX_FILE_BYTES:,} bytes: not read")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        marker = _MARKER_BYTES.search(data)
        if marker is None:
            return None  # not UTF-8 and no marker: someone else's file, left alone
        post_id = int(marker[1] or marker[2])
        raise Unusable(
            f"not UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}): not rewritten",
            post_id,
        ) from exc
    try:
        note = parse(text, username)
    except Unusable as unusable:
        marker = _MARKER_BYTES.search(data)
        post_id = int(marker[1] or marker[2]) if marker else None
        raise Unusable(f"{unusable}: not rewritten (fix it by hand)", post_id) from unusable
    if note is None:
        return None
    return _Found(path, shown, _signature(status), stat.S_IMODE(status.st_mode), data, note)


class _ChangedMeanwhile(OSError):
    pass


def _umask_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: Path, content: bytes, *, mode: int, expected: tuple | None) -> None:
    """``content`` into ``path`` through a temporary file in its folder and a rename, so a
    reader (Obsidian, a sync client) sees the old file or the new one, never half of one.
    ``expected``: the file's signature when it was read (None: it must not exist yet)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".pizhu-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        if expected is None:
            if os.path.lexists(path):
                raise _ChangedMeanwhile("it appeared while the sync ran; run it again")
        elif _signature(path.stat()) != expected:
            raise _ChangedMeanwhile("it changed while the sync ran (edited?); run it again")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def file_name(post: Post) -> str:
    """The export's file name for ``post`` (bounded in bytes: export.safe_filename)."""
    return export.safe_filename(post.title, post.pk, post.published_at)


# --- the sync --------------------------------------------------------------------------------


def sync(user, vault: str | os.PathLike, folder: str = DEFAULT_FOLDER, *, base_url: str):
    """Bring ``user``'s notes files in ``vault``/``folder`` up to date with their notes."""
    vault_path, root = notes_folder(vault, folder)
    username = user.get_username()
    report = SyncReport()
    existing, blocked = _scan(vault_path, root, username, report)
    groups = {group.post.pk: group for group in export.notes_for_export(user)}
    new_mode = _umask_mode()
    for post_id, group in groups.items():
        if post_id in blocked:
            continue
        found = existing.get(post_id)
        text = compose(
            found.note if found else None,
            post_id=post_id,
            username=username,
            front=owned_front_matter(group),
            block=export.post_markdown(group, base_url=base_url, with_front_matter=False),
        )
        if found is None:
            path = root / file_name(group.post)
            if os.path.lexists(path):
                report.skipped.append(
                    Skipped(_shown(path, vault_path), f"exists and is not post {post_id}'s file")
                )
                continue
            _put(report, path, _shown(path, vault_path), text, mode=new_mode, expected=None)
        else:
            _put_found(report, found, text)
    emptied = {pid: found for pid, found in existing.items() if pid not in groups}
    posts = Post.objects.filter(pk__in=list(emptied)).select_related("source")
    posts = {p.pk: p for p in with_tag_names(posts.defer(*_UNUSED), through=TaggedPost)}
    for post_id, found in sorted(emptied.items()):
        post = posts.get(post_id)
        # No notes left: the front matter still says which post this is (nothing changed
        # since an export of nothing); a post gone from the database leaves it as it is.
        front = None
        if post is not None:
            front = owned_front_matter(export.PostNotes(post, []), without={"exported"})
        text = compose(found.note, post_id=post_id, username=username, front=front, block="")
        _put_found(report, found, text)
    return report


def _put_found(report: SyncReport, found: _Found, text: str) -> None:
    _put(
        report,
        found.path,
        found.shown,
        text,
        mode=found.mode,
        expected=found.signature,
        was=found.content,
    )


_UNUSED = ("raw_body", "raw_front_matter", "body_html", "text")


def _put(report, path: Path, shown: str, text: str, *, mode, expected, was=None) -> None:
    """``text`` into ``path`` unless that is what it holds (``was``: its bytes as read)."""
    content = text.encode("utf-8")
    if content == was:
        report.unchanged += 1
        return
    try:
        write_atomically(path, content, mode=mode, expected=expected)
    except OSError as exc:
        report.skipped.append(Skipped(shown, f"not written: {exc.strerror or exc}"))
        return
    report.written.append(shown)
