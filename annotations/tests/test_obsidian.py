"""annotations.obsidian and sync_notes: one file per post in a vault folder, only changed
files rewritten, the person's own text and front matter keys kept, nothing written outside
the vault, broken files skipped with the reason, and nobody's notes in anyone else's files."""

import os
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations import export, obsidian, services
from annotations.models import Annotation, State
from annotations.obsidian import NoteFile, Unusable, compose, merge_front_matter, parse
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from library import state

BASE = "http://pizhu.test"
BEGIN = "<!-- pizhu:begin post=7 user=owner · managed -->\n"
END = "<!-- pizhu:end -->\n"


# --- pure: cutting a file into its parts ------------------------------------------------------


def test_a_file_with_front_matter_text_and_block_is_cut_into_its_parts():
    text = (
        "---\ntitle: 旧\nrating: 5\npizhu_post: 7\n---\n\nMy intro.\n"
        f"{BEGIN}# old notes\n{END}\nMy outro.\n"
    )
    note = parse(text, "owner")
    assert note.post_id == 7
    assert note.front == ["title: 旧\n", "rating: 5\n", "pizhu_post: 7\n"]
    assert (note.before, note.after) == ("\nMy intro.\n", "\nMy outro.\n")


def test_composing_a_file_again_with_its_own_parts_gives_the_same_bytes():
    text = (
        "\ufeff---\r\ntitle: 旧\r\nrating: 5\r\n---\r\nIntro\r\n"
        f"<!-- pizhu:begin post=7 user=owner · {obsidian.NOTICE} -->\r\n"
        "# notes\n<!-- pizhu:end -->\r\nOutro without newline"
    )
    note = parse(text, "owner")
    begin = f"<!-- pizhu:begin post=7 user=owner · {obsidian.NOTICE} -->"
    assert begin in text  # the canonical begin line, so the text is what compose writes
    again = compose(note, post_id=7, username="owner", front=None, block="# notes\n")
    assert again == text


def test_a_file_without_marker_or_pizhu_post_is_not_ours():
    assert parse("---\ntitle: mine\n---\n\n# My own page\n", "owner") is None


def test_another_users_block_is_not_ours():
    assert parse(BEGIN.replace("user=owner", "user=other") + END, "owner") is None


@pytest.mark.parametrize(
    "text, reason",
    [
        (f"intro\n{BEGIN}# notes\n", "pizhu:begin on line 2 has no pizhu:end"),
        (f"{END}{BEGIN}{END}", "2 pizhu:end lines (lines 1, 3)"),
        (f"{BEGIN}{BEGIN}{END}", "2 pizhu:begin lines (lines 1, 2)"),
        (f"text\n{END}", "pizhu:end on line 2 has no pizhu:begin"),
        ("---\npizhu_post: 7\n---\nno block\n", "names pizhu_post 7 but the managed block"),
        (f"---\npizhu_post: 8\n---\n{BEGIN}{END}", "says pizhu_post 8, its block post=7"),
        (f"---\ntitle: x\n{BEGIN}{END}", "never closed"),
        (f"{BEGIN.replace('post=7 ', '')}{END}", "names no post"),
    ],
)
def test_a_block_broken_by_hand_is_unusable_with_the_reason(text, reason):
    with pytest.raises(Unusable, match=re.escape(reason)):
        parse(text, "owner")


def test_a_marker_line_inside_a_note_cannot_end_the_block():
    block = f"# notes\n\n```\n{END}{BEGIN}```\n"
    text = compose(None, post_id=7, username="owner", front=[], block=block) + "mine\n"
    note = parse(text, "owner")
    assert note.after == "mine\n"
    assert "pizhu\\:end" in text


def test_merging_front_matter_replaces_pizhu_keys_and_keeps_the_persons_as_written():
    existing = [
        "# my comment\n",
        "title: 旧标题\n",
        "rating:   5   # stars\n",
        "tags:\n",
        "- old\n",
        "aliases:\n",
        "  - 别名\n",
        "my_tags:\n",
        "- gone\n",
        "pizhu_post: 7\n",
    ]
    owned = ["title: 新标题\n", "tags:\n", "- new\n", "pizhu_post: 7\n"]
    merged = merge_front_matter(existing, owned)
    assert merged == [
        *owned,
        "# my comment\n",
        "rating:   5   # stars\n",
        "aliases:\n",
        "  - 别名\n",
    ]
    assert yaml.safe_load("".join(merged))["aliases"] == ["别名"]


def test_pizhu_owns_every_key_the_export_writes(owner, post):
    services.create(owner, changes(post, "增长放缓", kind="note", body="n", tags=["t"]))
    state.change(owner, post.pk, {"tags": ("mine",)})
    (group,) = export.notes_for_export(owner)
    written = yaml.safe_load(export.front_matter(group).strip("-\n"))
    assert {"my_tags", "author", "published"} <= set(written)  # every optional key present
    assert set(written) <= obsidian.OWNED_KEYS


@pytest.mark.parametrize("folder", ["../outside", "/etc", "a/../../b", ""])
def test_a_folder_outside_the_vault_is_refused(tmp_path, folder):
    with pytest.raises(obsidian.SyncError, match="--folder"):
        obsidian.notes_folder(tmp_path, folder)
    assert sorted(tmp_path.iterdir()) == []


def test_a_folder_that_links_out_of_the_vault_is_refused(tmp_path):
    vault, elsewhere = tmp_path / "vault", tmp_path / "elsewhere"
    vault.mkdir()
    elsewhere.mkdir()
    (vault / "Pizhu").symlink_to(elsewhere)
    with pytest.raises(obsidian.SyncError, match="leads out of the vault"):
        obsidian.notes_folder(vault, "Pizhu")


def test_a_vault_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(obsidian.SyncError, match="--vault"):
        obsidian.notes_folder(tmp_path / "missing", "Pizhu")
    assert not (tmp_path / "missing").exists()


def test_an_atomic_write_leaves_a_file_changed_meanwhile_and_no_temporary_file(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("old")
    seen = obsidian._signature(path.stat())
    path.write_text("edited by hand")
    with pytest.raises(OSError, match="changed while the sync ran"):
        obsidian.write_atomically(path, b"new", mode=0o644, expected=seen)
    assert path.read_text() == "edited by hand"
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]


# --- the sync ----------------------------------------------------------------------------------


@pytest.fixture
def vault(tmp_path):
    path = tmp_path / "vault"
    path.mkdir()
    return path


@pytest.fixture
def second_post(archive_dir, post):
    archive_dir.write(
        "2024-02-03-第二篇.md",
        title="第二篇",
        url="https://example.org/second",
        date="2024-02-03T00:00:00.000Z",
    )
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/second")


def sync(user, vault, folder="Pizhu"):
    return obsidian.sync(user, vault, folder, base_url=BASE)


def run(*args):
    """sync_notes as from a shell: (exit status, stdout, stderr)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("sync_notes", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as exc:
        status = exc.returncode
        err.write(str(exc))
    return status, out.getvalue(), err.getvalue()


def files(vault, folder="Pizhu") -> dict[str, str]:
    root = vault / folder
    return {str(p.relative_to(root)): p.read_text("utf-8") for p in sorted(root.rglob("*.md"))}


def the_file(vault) -> Path:
    (path,) = (vault / "Pizhu").rglob("*.md")
    return path


def test_each_annotated_or_tagged_post_gets_its_export_markdown_in_a_block(
    owner, post, second_post, vault
):
    note = services.create(owner, changes(post, "增长放缓", kind="note", body="我的看法"))
    state.change(owner, second_post.pk, {"tags": ("待读",)})
    report = sync(owner, vault)
    assert report.summary() == "2 written, 0 unchanged, 0 skipped"
    written = files(vault)
    expected = {export.safe_filename(p.title, p.pk, p.published_at) for p in (post, second_post)}
    assert set(written) == expected
    text = written[export.safe_filename(post.title, post.pk, post.published_at)]
    (group, _) = export.notes_for_export(owner)
    block = export.post_markdown(group, base_url=BASE, with_front_matter=False)
    assert f"user=owner · {obsidian.NOTICE} -->\n{block}<!-- pizhu:end -->\n" in text
    assert f"[↗]({BASE}/posts/{post.pk}/#annotation-{note.pk})" in text
    front = yaml.safe_load(text.split("---\n")[1])
    assert (front["pizhu_post"], front["url"]) == (post.pk, post.url)


def test_a_second_run_with_nothing_changed_writes_nothing(owner, post, second_post, vault):
    services.create(owner, changes(post, "增长放缓", kind="note", body="看法"))
    state.change(owner, second_post.pk, {"tags": ("待读",)})
    assert run("--user", "owner", "--vault", str(vault))[0] == 0
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (vault / "Pizhu").iterdir()}
    status, out, _ = run("--user", "owner", "--vault", str(vault))
    assert (status, out.strip()) == (0, "0 written, 2 unchanged, 0 skipped")
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (vault / "Pizhu").iterdir()}
    assert after == before  # same files (no temporary left), same inodes, same times


def test_text_a_person_writes_around_the_block_survives_a_changed_note(owner, post, vault):
    note = services.create(owner, changes(post, "增长放缓", kind="note", body="第一版"))
    sync(owner, vault)
    path = the_file(vault)
    above = "我的段落，在上面。\n\n- [ ] a task [[Another note]]\n\n"
    below = "\n## 我的总结\n\n下面的段落 with `code` and ---\n"
    text = path.read_text("utf-8")
    head, rest = text.split("\n<!-- pizhu:begin", 1)
    person_front = head.replace("pizhu_post:", "rating: 4 # mine\npizhu_post:")
    path.write_text(f"{person_front}\n{above}<!-- pizhu:begin{rest}{below}", "utf-8")

    services.update(note, Changes(body="第二版"))
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
    text = path.read_text("utf-8")
    assert "第二版" in text and "第一版" not in text
    assert text.split("---\n", 2)[2].startswith(f"\n{above}<!-- pizhu:begin")
    assert text.endswith(f"<!-- pizhu:end -->\n{below}")
    assert "rating: 4 # mine\n" in text
    assert sync(owner, vault).summary() == "0 written, 1 unchanged, 0 skipped"


def test_deleted_notes_leave_their_file_with_an_empty_block(owner, post, vault):
    note = services.create(owner, changes(post, "增长放缓", kind="note", body="会删掉的"))
    sync(owner, vault)
    path = the_file(vault)
    path.write_text(path.read_text("utf-8") + "我自己的话\n", "utf-8")
    services.delete(note)
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
    text = path.read_text("utf-8")
    assert "会删掉的" not in text
    assert f"· {obsidian.NOTICE} -->\n<!-- pizhu:end -->\n我自己的话\n" in text
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["pizhu_post"] == post.pk and "exported" not in front
    assert sync(owner, vault).summary() == "0 written, 1 unchanged, 0 skipped"


def test_a_renamed_title_keeps_the_files_name(owner, post, vault):
    services.create(owner, changes(post, "增长放缓"))
    sync(owner, vault)
    first = the_file(vault)
    Post.objects.filter(pk=post.pk).update(title="改过的标题")
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
    assert the_file(vault) == first
    assert "# 改过的标题\n" in first.read_text("utf-8")


def test_a_file_moved_into_a_subfolder_is_updated_where_it_is(owner, post, vault):
    note = services.create(owner, changes(post, "增长放缓", kind="note", body="旧"))
    sync(owner, vault)
    moved = vault / "Pizhu" / "读过" / "renamed by me.md"
    moved.parent.mkdir()
    the_file(vault).rename(moved)
    services.update(note, Changes(body="新"))
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
    assert list(files(vault)) == [str(Path("读过") / "renamed by me.md")]
    assert "新" in moved.read_text("utf-8")


def test_a_block_broken_by_hand_is_skipped_and_not_overwritten_nor_duplicated(owner, post, vault):
    note = services.create(owner, changes(post, "增长放缓", kind="note", body="旧"))
    sync(owner, vault)
    path = the_file(vault)
    broken = path.read_text("utf-8").replace("<!-- pizhu:end -->\n", "")
    path.write_text(broken, "utf-8")
    services.update(note, Changes(body="新"))
    status, out, err = run("--user", "owner", "--vault", str(vault))
    assert status == 2
    assert out.strip() == "0 written, 0 unchanged, 1 skipped"
    assert f"skipped: Pizhu/{path.name}: pizhu:begin on line" in err
    assert "has no pizhu:end line below it" in err
    assert path.read_text("utf-8") == broken
    assert len(files(vault)) == 1


def test_a_file_that_is_not_utf8_is_skipped_with_the_reason(owner, post, vault):
    services.create(owner, changes(post, "增长放缓"))
    sync(owner, vault)
    path = the_file(vault)
    data = path.read_bytes().replace(b"\n# ", b"\n# caf\xe9 ", 1)  # one Latin-1 byte
    path.write_bytes(data)
    services.create(owner, changes(post, "专家说"))
    report = sync(owner, vault)
    (skipped,) = report.skipped
    offset = data.index(b"\xe9")
    assert f"not UTF-8 (byte 0xe9 at offset {offset})" in skipped.reason
    assert path.read_bytes() == data and list((vault / "Pizhu").rglob("*.md")) == [path]


def test_a_link_out_of_the_vault_is_skipped_and_its_target_untouched(owner, post, vault, tmp_path):
    services.create(owner, changes(post, "增长放缓"))
    sync(owner, vault)
    outside = tmp_path / "outside.md"
    the_file(vault).rename(outside)
    before = outside.read_bytes()
    (vault / "Pizhu" / "link.md").symlink_to(outside)
    services.create(owner, changes(post, "专家说"))
    report = sync(owner, vault)
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("Pizhu/link.md", f"a link out of the vault (to {outside})")
    ]
    assert outside.read_bytes() == before


def test_a_persons_file_with_the_would_be_name_is_not_overwritten(owner, post, vault):
    services.create(owner, changes(post, "增长放缓"))
    name = export.safe_filename(post.title, post.pk, post.published_at)
    (vault / "Pizhu").mkdir()
    (vault / "Pizhu" / name).write_text("mine, from an old export\n", "utf-8")
    report = sync(owner, vault)
    assert [s.reason for s in report.skipped] == [f"exists and is not post {post.pk}'s file"]
    assert (vault / "Pizhu" / name).read_text("utf-8") == "mine, from an old export\n"


def test_two_users_never_mix(owner, other, post, vault, tmp_path):
    services.create(owner, changes(post, "增长放缓", kind="note", body="owner 的看法"))
    services.create(other, changes(post, "专家说", kind="note", body="other 的看法"))
    other_vault = tmp_path / "other-vault"
    other_vault.mkdir()
    sync(owner, vault)
    sync(other, other_vault)
    (mine,) = files(vault).values()
    (theirs,) = files(other_vault).values()
    assert "owner 的看法" in mine and "other" not in mine
    assert "other 的看法" in theirs and "owner 的看法" not in theirs
    # One folder for both: the other's sync does not touch (or empty) the owner's file.
    before = the_file(vault).read_bytes()
    report = sync(other, vault)
    assert report.written == [] and the_file(vault).read_bytes() == before
    assert [s.reason for s in report.skipped] == [f"exists and is not post {post.pk}'s file"]


def test_no_filter_every_note_kind_and_placement_is_synced(owner, post, second_post, vault):
    page = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    services.create(owner, Changes(target=page, kind="note", body="整篇的笔记"))
    orphan = services.create(owner, changes(post, "专家说"))
    Annotation.objects.filter(pk=orphan.pk).update(state=State.ORPHANED)
    services.create(owner, changes(post, "增长放缓", kind="translation", body="slowing"))
    state.change(owner, second_post.pk, {"tags": ("只有标签",)})
    sync(owner, vault)
    by_post = {int(t.split("pizhu_post: ")[1].split()[0]): t for t in files(vault).values()}
    assert set(by_post) == {post.pk, second_post.pk}
    for heading in (export.PAGE_NOTES_HEADING, export.ORPHANS_HEADING, "slowing", "整篇的笔记"):
        assert heading in by_post[post.pk]
    assert "#只有标签" in by_post[second_post.pk]


def test_the_same_notes_give_the_same_bytes_in_another_vault(owner, post, vault, tmp_path):
    services.create(owner, changes(post, "增长放缓", kind="note", body="看法"))
    again = tmp_path / "again"
    again.mkdir()
    sync(owner, vault)
    sync(owner, again, "Notes/Pizhu")
    assert files(vault) == files(again, "Notes/Pizhu")


def test_the_command_refuses_an_unknown_user_and_a_missing_vault(owner, vault):
    assert run("--user", "nobody", "--vault", str(vault))[0] == 1
    status, _, err = run("--user", "owner", "--vault", str(vault / "missing"))
    assert status == 1 and "is not an existing folder" in err
    status, _, err = run("--user", "owner", "--vault", str(vault), "--folder", "../x")
    assert status == 1 and "must be a relative path inside the vault" in err


def test_parts_are_kept_for_a_file_written_by_the_sync(owner, post, vault):
    """What the sync writes parses back to this user's file for the post."""
    services.create(owner, changes(post, "增长放缓"))
    sync(owner, vault)
    note = parse(the_file(vault).read_text("utf-8"), "owner")
    assert isinstance(note, NoteFile) and note.post_id == post.pk
    assert (note.before, note.after) == ("\n", "")
    assert parse(the_file(vault).read_text("utf-8"), "other") is None
    assert os.listdir(vault / "Pizhu") == [the_file(vault).name]


def test_a_long_chinese_title_gives_a_name_a_file_system_takes(owner, post, vault):
    Post.objects.filter(pk=post.pk).update(title="很长的标题" * 30)
    services.create(owner, changes(post, "增长放缓"))
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
    name = the_file(vault).name
    assert len(name.encode()) <= 255 and name.endswith(f"-{post.pk}.md")
    assert name.startswith("2024-01-02-很长的标题很长的标题")


def test_a_fifo_named_like_a_note_is_never_opened(owner, post, vault):
    (vault / "Pizhu").mkdir()
    os.mkfifo(vault / "Pizhu" / "pipe.md")  # opening it would wait for a writer forever
    services.create(owner, changes(post, "增长放缓"))
    assert sync(owner, vault).summary() == "1 written, 0 unchanged, 0 skipped"
