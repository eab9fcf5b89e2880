"""manage.py backup and restore, run as a user runs them, on real databases: a SQLite file in
WAL mode and, when the suite runs on PostgreSQL, scratch databases on the same server (never
the suite's own test database). Each test gets a site cloned from one made per engine with
the demo posts, two users with API tokens and their annotations."""

import hashlib
import itertools
import json
import os
import re
import sqlite3
import subprocess
import threading
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings

from config import backup
from conftest import FIXTURE_POSTS, ROOT, run_python

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

POPULATE = """
import json
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from annotations import services
from annotations.values import Changes, Target
from archive.models import Post

User = get_user_model()
owner = User.objects.create_user("owner", "owner@example.org", "owner-password-1")
other = User.objects.create_user("other", "other@example.org", "other-password-1")
_, owner_key = ApiToken.issue(owner, "script")
_, other_key = ApiToken.issue(other, "laptop")
posts = [post for post in Post.objects.order_by("id") if len(post.text.strip()) >= 60][:3]

def passage(post, start, length):
    return Target(source=post.url, post_id=post.pk, exact=post.text[start:start + length],
                  start=start, end=start + length)

services.create(owner, Changes(target=passage(posts[0], 2, 12), kind="highlight",
                               colour="green", tags=("经济", "to-read")))
services.create(owner, Changes(target=passage(posts[1], 20, 30), kind="note",
                               body="**注意** this", visibility="everyone", tags=("note",)))
services.create(other, Changes(target=passage(posts[2], 5, 10), kind="translation",
                               body="A translation", language="en"))
services.delete(services.create(other, Changes(target=passage(posts[0], 30, 8))))
print(json.dumps({"owner": owner_key, "other": other_key}))
"""

# Everything a restore must bring back, exactly (long texts by their SHA-256).
FINGERPRINT = """
import hashlib, json, re
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from annotations.models import Annotation
from archive import search
from archive.models import ImportedFile, Post, Source
from taggit.models import Tag

def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()

posts = Post.objects.order_by("id")
queries = sorted({m.group() for p in posts
                  if (m := re.search(r"[\\u4e00-\\u9fff]{2}|[A-Za-z]{4,}", p.title))})
print(json.dumps({
    "posts": [[p.id, p.url, p.title, p.author, str(p.published_at), p.source.name,
               sorted(p.tags.names()), sha(p.raw_front_matter), sha(p.raw_body),
               sha(p.body_html), sha(p.text), p.content_hash, p.cleaner_version,
               str(p.updated_at)] for p in posts],
    "sources": list(Source.objects.order_by("id").values_list("id", "name", "slug")),
    "ledger": list(ImportedFile.objects.order_by("pk").values_list("pk", "content_hash")),
    "users": list(get_user_model().objects.order_by("id").values_list(
        "id", "username", "email", "password", "is_active", "date_joined")),
    "tokens": list(ApiToken.objects.order_by("id").values_list(
        "id", "user__username", "name", "digest", "hint", "created_at")),
    "annotations": [[a, sorted(Annotation.objects.get(pk=a["id"]).tags.names())]
                    for a in Annotation.objects.order_by("id").values()],
    "tags": list(Tag.objects.order_by("id").values_list("id", "name", "slug")),
    "search": {q: [p.id for p in search.search(q, Post.objects.all())[0:100]]
               for q in queries},
}, default=str))
"""

# What only works when the restore is whole: keys and passwords, new rows after the old ones.
STILL_WORKS = """
import json
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from annotations import services
from annotations.models import Annotation
from annotations.values import Changes, Target
from archive.models import Post

keys = json.loads({keys!r})
post = Post.objects.exclude(text="").order_by("-id").first()
start = len(post.text) - len(post.text.lstrip())
newest = Annotation.objects.order_by("-id").first().id
annotation = services.create(get_user_model().objects.get(username="owner"), Changes(
    target=Target(source=post.url, post_id=post.id, exact=post.text[start:start + 4],
                  start=start, end=start + 4)))
print(json.dumps({{
    "token_users": {{name: ApiToken.objects.user_for(key).username for name, key in keys.items()}},
    "passwords": [get_user_model().objects.get(username=name).check_password(f"{{name}}-password-1")
                  for name in ("owner", "other")],
    "new_annotation_after_the_old": annotation.id > newest,
    "new_user": get_user_model().objects.create_user("newcomer").username,
}}))
"""


ADD_A_USER = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("late")
"""


class Site:
    """One Pizhu installation with its own database; manage.py runs on it in a subprocess."""

    def __init__(self, engine: str, data_dir: Path, database_url: str | None = None):
        self.engine, self.data_dir, self.database_url = engine, data_dir, database_url
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "pizhu.sqlite3"

    def run(self, *args: str, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess:
        env = {"PATH": path, "DEBUG": "1", "PIZHU_DATA_DIR": str(self.data_dir)}
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return run_python("manage.py", *args, env=env, timeout=300)

    def manage(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def python(self, code: str):
        """Run ``code`` in Django's shell on this site; what it printed last, as JSON."""
        return json.loads(self.manage("shell", "--no-imports", "-c", code).splitlines()[-1])

    def fingerprint(self, *, first: str = "") -> dict:
        """What the database holds, after running ``first`` (code that changes it)."""
        return self.python(first + FINGERPRINT)


# --- PostgreSQL scratch databases (the suite's own test database is left alone) ---------------


def _postgres_admin():
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    return psycopg.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    )


def _scratch_url(name: str) -> str:
    base = os.environ["DATABASE_URL"]
    return base[: base.rindex("/") + 1] + name


_scratch_numbers = itertools.count()


def _scratch_name(label: str) -> str:
    base = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]
    return f"{base}_{label}_{os.getpid()}"[:63]


def _create_database(name: str, template: str | None = None) -> None:
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop_database(name: str) -> None:
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Sites --------------------------------------------------------------------------------------


def _populate(site: Site) -> dict:
    site.manage("migrate", "--verbosity", "0")
    imported = site.run("import_posts", str(FIXTURE_POSTS), "--jobs", "1")
    assert imported.returncode in (0, 2), imported.stderr  # 2: the demo's two broken files
    return site.python(POPULATE)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    site = Site("sqlite", tmp_path_factory.mktemp("template") / "data")
    keys = _populate(site)
    return site, keys


@pytest.fixture(scope="module")
def postgresql_template(tmp_path_factory):
    if not ON_POSTGRESQL:
        pytest.skip("the suite runs on SQLite (set DATABASE_URL=postgres://… to run this)")
    name = _scratch_name("bk_template")
    _create_database(name)
    site = Site("postgresql", tmp_path_factory.mktemp("template"), _scratch_url(name))
    keys = _populate(site)
    yield site, keys
    _drop_database(name)


def _clone_sqlite(template: Site, tmp_path: Path) -> Site:
    site = Site("sqlite", tmp_path / "data")
    # The template's file is closed (its commands have exited); the backup API copies it
    # as it stands, WAL header included, like the live database the server keeps.
    source, copy = sqlite3.connect(template.sqlite_file), sqlite3.connect(site.sqlite_file)
    source.backup(copy)
    copy.close()
    source.close()
    return site


@pytest.fixture
def sqlite_site(sqlite_template, tmp_path):
    template, keys = sqlite_template
    return _clone_sqlite(template, tmp_path), keys


@pytest.fixture
def postgresql_site(postgresql_template, tmp_path, request):
    template, keys = postgresql_template
    name = _scratch_name(f"bk{next(_scratch_numbers)}")
    _create_database(name, template=template.database_url.rsplit("/", 1)[1])
    request.addfinalizer(lambda: _drop_database(name))
    return Site("postgresql", tmp_path / "data", _scratch_url(name)), keys


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request):
    """A populated site of each engine, and the API keys of its users."""
    return request.getfixturevalue(f"{request.param}_site")


def wipe(site: Site) -> None:
    """The disaster: the database is gone, and a new, empty one stands in its place."""
    if site.engine == "sqlite":
        for name in ("pizhu.sqlite3", "pizhu.sqlite3-wal", "pizhu.sqlite3-shm"):
            (site.data_dir / name).unlink(missing_ok=True)
    else:
        _create_database(site.database_url.rsplit("/", 1)[1])


def backup_name(site: Site) -> str:
    return "pizhu.sqlite3" if site.engine == "sqlite" else "pizhu.dump"


# --- The round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("fresh", ["no tables", "migrated"])
def test_backup_wipe_restore_brings_back_every_user_token_annotation_and_post(
    site, tmp_path, fresh
):
    site, keys = site
    before = site.fingerprint()
    assert len(before["users"]) == 2 and len(before["tokens"]) == 2
    assert len(before["annotations"]) == 4 and len(before["posts"]) >= 10
    assert any(before["search"].values())
    path = tmp_path / "backups" / backup_name(site)
    path.parent.mkdir()

    written = site.manage("backup", str(path))

    counts = f"{len(before['posts'])} posts, 4 annotations, 2 users, 2 API tokens"
    assert f"wrote {path} ({backup.human_size(path.stat().st_size)}, " in written
    assert written.rstrip().endswith(counts)
    assert os.listdir(path.parent) == [path.name]  # no partial file left behind
    assert path.stat().st_mode & 0o077 == 0  # it holds password hashes: private

    wipe(site)
    if fresh == "migrated":  # as `make serve` leaves a new installation
        site.manage("migrate", "--verbosity", "0")
    restored = site.manage("restore", str(path))

    assert restored.startswith(f"restored {path} into ")
    assert counts in restored
    assert "predates" not in restored  # the backup has every migration of this code
    assert site.fingerprint() == before
    assert site.python(STILL_WORKS.format(keys=json.dumps(keys))) == {
        "token_users": {"owner": "owner", "other": "other"},
        "passwords": [True, True],
        "new_annotation_after_the_old": True,
        "new_user": "newcomer",
    }


def test_restore_refuses_a_database_that_holds_data_and_force_replaces_it(site, tmp_path):
    site, _ = site
    path = tmp_path / backup_name(site)
    site.manage("backup", str(path))
    before = site.fingerprint()
    changed = site.fingerprint(first=ADD_A_USER)

    refused = site.run("restore", str(path))

    assert refused.returncode == 1
    assert "DatabaseNotEmpty: the database " in refused.stderr
    posts = len(before["posts"])
    assert f"holds {posts} posts, 4 annotations, 3 users, 2 API tokens" in refused.stderr
    assert "--force" in refused.stderr
    assert site.fingerprint() == changed

    site.manage("restore", str(path), "--force")

    assert site.fingerprint() == before  # the late user is gone with the rest of the present


def test_a_backup_that_breaks_off_is_refused_and_the_database_keeps_its_data(site, tmp_path):
    site, _ = site
    path = tmp_path / backup_name(site)
    site.manage("backup", str(path))
    data = path.read_bytes()
    # PostgreSQL: the table of contents is whole, so pg_restore starts and fails at the
    # very end, on the last table's data; SQLite: pages are missing.
    path.write_bytes(data[:-1] if site.engine == "postgresql" else data[: len(data) // 2])
    before = site.fingerprint(first=ADD_A_USER)  # so that any restore would show

    result = site.run("restore", str(path), "--force")

    assert result.returncode == 1
    if site.engine == "postgresql":
        assert "the restore failed; it ran as one transaction, so the database is unchanged" in (
            result.stderr
        )
    else:
        assert "NotABackup: " in result.stderr and "malformed" in result.stderr
    assert site.fingerprint() == before


def test_backup_keeps_an_existing_file_unless_told_to_overwrite_it(site, tmp_path):
    site, _ = site
    path = tmp_path / "backups" / backup_name(site)
    path.parent.mkdir()
    path.write_text("yesterday's backup")

    refused = site.run("backup", str(path))

    assert refused.returncode == 1
    assert "BackupExists: " in refused.stderr and "--overwrite" in refused.stderr
    assert path.read_text() == "yesterday's backup"
    assert os.listdir(path.parent) == [path.name]

    site.manage("backup", str(path), "--overwrite")

    magic = backup.SQLITE_MAGIC if site.engine == "sqlite" else backup.PG_DUMP_MAGIC
    assert path.read_bytes().startswith(magic)
    assert os.listdir(path.parent) == [path.name]


def test_restore_of_an_older_backup_names_the_migrations_to_run(sqlite_site, tmp_path):
    site, _ = sqlite_site
    older = Site("sqlite", tmp_path / "older")
    older.manage("migrate", "--verbosity", "0")
    # Back to before the library app (nothing depends on it): its migrations are the ones
    # the backup lacks.
    older.manage("migrate", "library", "zero", "--verbosity", "0")
    path = tmp_path / "older.sqlite3"
    older.manage("backup", str(path))
    lacking = sorted(p.stem for p in (ROOT / "library" / "migrations").glob("0*.py"))

    restored = site.manage("restore", str(path), "--force")

    count = f"{len(lacking)} migration{'s' if len(lacking) > 1 else ''}"
    names = ", ".join(f"library.{name}" for name in lacking)
    assert restored.splitlines()[-1] == (
        f"the backup predates {count} of this code ({names}): run manage.py migrate"
    )


# --- SQLite under load --------------------------------------------------------------------------


class Writer(threading.Thread):
    """Another connection committing a user and its token, one pair a transaction, as fast as
    it can, the way the server's writes interleave with a backup."""

    def __init__(self, database: Path):
        super().__init__(daemon=True)
        self.database, self.committed, self.stop, self.error = database, 0, threading.Event(), None

    def run(self):
        try:
            db = sqlite3.connect(self.database, isolation_level=None, timeout=30)
            # No checkpoints: the commits stay in -wal, as they do while readers keep a
            # checkpoint from finishing. A copy of the main file alone would miss them all.
            db.execute("PRAGMA wal_autocheckpoint=0")
            while not self.stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                user = db.execute(
                    "INSERT INTO auth_user (password, is_superuser, username, first_name, "
                    "last_name, email, is_staff, is_active, date_joined) "
                    "VALUES ('!', 0, ?, '', '', '', 0, 1, '2024-01-01 00:00:00')",
                    [f"writer-{self.committed}"],
                ).lastrowid
                db.execute(
                    "INSERT INTO annotations_apitoken (user_id, name, digest, hint, created_at) "
                    "VALUES (?, 'load', ?, 'pz_', '2024-01-01 00:00:00')",
                    [user, hashlib.sha256(str(user).encode()).hexdigest()],
                )
                db.execute("COMMIT")
                self.committed += 1
            db.close()
        except Exception as exc:  # the test reports it
            self.error = exc


def test_sqlite_backup_while_another_connection_writes_is_one_consistent_moment(
    sqlite_site, tmp_path
):
    site, _ = sqlite_site
    path = tmp_path / "during-writes.sqlite3"
    writer = Writer(site.sqlite_file)
    writer.start()
    while writer.committed < 20 and writer.is_alive():
        writer.stop.wait(0.01)
    committed_before = writer.committed

    written = site.manage("backup", str(path))

    committed_after = writer.committed
    writer.stop.set()
    writer.join()
    assert writer.error is None
    copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    writers = [
        name
        for (name,) in copy.execute("SELECT username FROM auth_user WHERE username GLOB 'writer-*'")
    ]
    unpaired = copy.execute(
        "SELECT count(*) FROM auth_user u WHERE u.username GLOB 'writer-*' AND "
        "(SELECT count(*) FROM annotations_apitoken t WHERE t.user_id = u.id) != 1"
    ).fetchone()[0]
    tokens = copy.execute("SELECT count(*) FROM annotations_apitoken").fetchone()[0]
    copy.close()
    # The writes that reached the copy are exactly the first n, each with its token: one
    # moment of the database, taken while the writer was running.
    assert sorted(writers) == sorted(f"writer-{i}" for i in range(len(writers)))
    assert unpaired == 0 and tokens == 2 + len(writers)
    assert committed_before < len(writers) <= committed_after
    assert f"{2 + len(writers):,} users, {tokens:,} API tokens" in written


# --- PostgreSQL tools ---------------------------------------------------------------------------


def test_backup_without_pg_dump_says_what_to_install(postgresql_site, tmp_path):
    site, _ = postgresql_site
    backups = tmp_path / "backups"
    backups.mkdir()
    result = site.run("backup", str(backups / "x.dump"), path=str(tmp_path / "no-tools-here"))

    assert result.returncode == 1
    assert "ToolMissing: pg_dump is not on PATH: install the PostgreSQL client" in result.stderr
    assert os.listdir(backups) == []


def test_pg_tools_get_the_password_from_the_environment_never_the_command_line():
    arguments, environment = backup.pg_connection_arguments(
        {
            "NAME": "pizhu",
            "USER": "reader",
            "PASSWORD": "s3cret-Passw0rd",
            "HOST": "db.example",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )

    assert arguments == ["--dbname=pizhu", "--username=reader", "--host=db.example", "--port=5433"]
    assert not any("s3cret" in argument for argument in arguments)
    assert environment["PGPASSWORD"] == "s3cret-Passw0rd"
    assert environment["PGSSLMODE"] == "require"


# --- Files that are no backup of this database (checked before anything is touched) ------------


def test_restore_refuses_a_backup_of_the_other_engine(tmp_path):
    from django.db import connection

    other = {"sqlite": b"PGDMP\x01\x0e\x00", "postgresql": backup.SQLITE_MAGIC}[connection.vendor]
    path = tmp_path / "other-engine.bak"
    path.write_bytes(other + b"\x00" * 100)

    with pytest.raises(backup.NotABackup, match=r"backup but this database is (SQLite|Postgre)"):
        backup.restore(path)


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# not a database\n")

    with pytest.raises(backup.NotABackup, match="neither a SQLite database nor a pg_dump"):
        backup.restore(path)


def test_summaries_say_what_was_written_in_plain_figures():
    counts = backup.Counts(posts=1, annotations=0, users=2, tokens=1)
    written = backup.Written(Path("/b/x.sqlite3"), "sqlite", 1_234_567, 0.5, counts, "checked")

    assert written.summary() == (
        "wrote /b/x.sqlite3 (1.2 MB, SQLite, checked) in 0.50 s: "
        "1 post, 0 annotations, 2 users, 1 API token"
    )
    assert re.fullmatch(r"\d+ bytes", backup.human_size(999))
