"""Backups of the whole database and restoring one, on SQLite or PostgreSQL (whichever
``settings.DATABASES`` names); ``manage.py backup`` and ``manage.py restore`` call these.

SQLite: the online backup API copies every page in one step, inside one read transaction,
so the copy is the database at one instant even while the server writes (in WAL mode
readers never wait for writers). A plain ``cp`` is not: the newest commits may still sit in
``-wal``, and a checkpoint during the copy tears pages. The copy is made a single file
(rollback journal) and must pass ``PRAGMA integrity_check``. Restoring runs the same API the
other way, into the live database, as one write transaction: every connection sees the old
database or the new one, never a mix, and a failure changes nothing.

PostgreSQL: ``pg_dump -Fc`` from a snapshot this module exports (so the counts it reports
are those of the dump), checked with ``pg_restore --list``; restoring is ``pg_restore
--clean --if-exists --single-transaction``: all of it or nothing.

Backups are written to a temporary file beside the target (mode 0600: they hold password
hashes) and moved into place only once checked, so a file at the target path is always a
whole backup.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from accounts.models import ApiToken
from annotations.models import Annotation
from archive.models import Post

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# libpq reads these from the environment; Django takes them from DATABASES[...]["OPTIONS"].
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


class BackupExists(BackupError):
    """The backup's path is taken and overwriting was not asked for."""


class NotABackup(BackupError):
    """The file to restore is not a backup of this engine's Pizhu database."""


class DatabaseNotEmpty(BackupError):
    """Restoring would replace data and replacing was not asked for."""


class UnexpectedTables(BackupError):
    """The database has tables the backup lacks (a newer schema): they would survive the
    restore beside the restored ones."""


class ToolMissing(BackupError):
    """pg_dump or pg_restore is not on PATH."""


@dataclass(frozen=True)
class Counts:
    posts: int
    annotations: int
    users: int
    tokens: int

    def __str__(self):
        return (
            f"{plural(self.posts, 'post')}, {plural(self.annotations, 'annotation')}, "
            f"{plural(self.users, 'user')}, {plural(self.tokens, 'API token')}"
        )

    @property
    def empty(self) -> bool:
        return not (self.posts or self.annotations or self.users or self.tokens)


@dataclass(frozen=True)
class Written:
    """What ``backup`` wrote."""

    path: Path
    engine: str
    size: int
    seconds: float
    counts: Counts
    checked_by: str  # how the copy was found whole

    def summary(self) -> str:
        return (
            f"wrote {self.path} ({human_size(self.size)}, {ENGINE_NAMES[self.engine]}, "
            f"{self.checked_by}) in {self.seconds:.2f} s: {self.counts}"
        )


@dataclass(frozen=True)
class Restored:
    """What ``restore`` put in the database."""

    path: Path
    engine: str
    database: str
    seconds: float
    counts: Counts
    unapplied_migrations: list[str]

    def summary(self) -> str:
        return (
            f"restored {self.path} into {ENGINE_NAMES[self.engine]} database {self.database} "
            f"in {self.seconds:.2f} s: {self.counts}"
        )


def backup(path, *, overwrite: bool = False, using: str = DEFAULT_DB_ALIAS) -> Written:
    """Write a backup of the database to ``path``: a SQLite file, or a pg_dump custom-format
    file. An existing file is replaced only with ``overwrite``."""
    connection = connections[using]
    engine = _engine(connection)
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the backup file's name")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such folder")
    if path.exists() and not overwrite:
        raise BackupExists(f"{path} already exists: give another name, or --overwrite it")
    if engine == "sqlite" and _same_file(path, _sqlite_file(connection)):
        raise BackupError(f"{path} is the database itself")
    started = time.monotonic()
    with _partial_file(path) as partial:
        if engine == "sqlite":
            counts = _sqlite_backup(connection, partial)
            checked_by = "PRAGMA integrity_check ok"
        else:
            counts = _pg_backup(connection, partial)
            checked_by = "pg_restore --list ok"
        _publish(partial, path, overwrite=overwrite)
    return Written(
        path, engine, path.stat().st_size, time.monotonic() - started, counts, checked_by
    )


def restore(path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Restored:
    """Replace the database's contents with the backup at ``path``, all of it or nothing. A
    database that holds posts, annotations, users or tokens is replaced only with ``force``."""
    connection = connections[using]
    engine = _engine(connection)
    path = Path(path)
    _check_format(path, engine)
    started = time.monotonic()
    if engine == "sqlite":
        database = _sqlite_file(connection)
        if _same_file(path, database):
            raise BackupError(f"{path} is the database itself")
        _sqlite_restore(connection, path, database, force=force)
    else:
        database = connection.settings_dict["NAME"]
        _pg_restore(connection, path, force=force)
    # Fresh connections from here: the old ones knew another schema and other rows.
    connections.close_all()
    return Restored(
        path,
        engine,
        str(database),
        time.monotonic() - started,
        _counts_now(connection),
        _unapplied_migrations(connection),
    )


def human_size(size: int) -> str:
    """1234567 → 1.2 MB (decimal units, as disks are sold and ``ls --si`` counts)."""
    if size < 1000:
        return f"{size} bytes"
    value, unit = size / 1000, "KB"
    for bigger in ("MB", "GB", "TB"):
        if round(value, 1) < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_file(connection) -> Path:
    if connection.is_in_memory_db():
        raise BackupError("the database is in memory: there is no file to back up or restore")
    return Path(connection.settings_dict["NAME"])


def _sqlite_backup(connection, partial: Path) -> Counts:
    database = _sqlite_file(connection)
    if not database.is_file():
        raise BackupError(f"no database at {database}: nothing to back up")
    # mode=rw: never create an empty database where the real one was expected.
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        # pages=-1: every page in one step, one read transaction: a snapshot. In steps,
        # each write by the server in between would restart the copy.
        source.backup(copy, pages=-1)
        # The copy's header says WAL, like its source's; a backup is better one file.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_integrity(copy, f"the copy of {database}", failure=BackupError)
        return _count_rows(copy.cursor(), _sqlite_quote, set(_sqlite_tables(copy)))
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy {database}: {exc}") from exc
    finally:
        copy.close()
        source.close()


def _sqlite_restore(connection, path: Path, database: Path, *, force: bool) -> None:
    backup_db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            _check_integrity(backup_db, str(path), failure=NotABackup)
            tables = set(_sqlite_tables(backup_db))
        except sqlite3.DatabaseError as exc:
            raise NotABackup(f"{path} is not a readable SQLite database: {exc}") from exc
        if Post._meta.db_table not in tables:
            raise NotABackup(f"{path} is a SQLite database, but not a Pizhu one (no posts table)")
        _refuse_replacing_data(connection, database, force=force)
        # Django's connection may hold a transaction or a schema of the old database.
        connection.close()
        live = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            try:
                # As config.settings opens it: a database the restore creates is WAL too.
                live.execute("PRAGMA journal_mode=WAL")
                backup_db.backup(live, pages=-1)  # one write transaction: all or nothing
            except sqlite3.Error as exc:
                raise BackupError(f"the restore failed; {database} is unchanged: {exc}") from exc
            # Fold the restore into the main file now if no reader is in the way; if one is,
            # SQLite does it later, so a busy database is no failure here.
            with contextlib.suppress(sqlite3.OperationalError):
                live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
    finally:
        backup_db.close()


def _check_integrity(db: sqlite3.Connection, what: str, *, failure: type[BackupError]) -> None:
    problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise failure(f"{what} fails PRAGMA integrity_check: {'; '.join(problems[:5])}")


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_backup(connection, partial: Path) -> Counts:
    pg_dump = _tool("pg_dump")
    arguments, environment = pg_connection_arguments(connection.settings_dict)
    # A snapshot of our own, held open while pg_dump reads from it: the counts reported are
    # exactly what the dump holds, whatever the server writes meanwhile.
    with _pg_snapshot(connection) as (snapshot, counts):
        command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"]
        _run([*command, *arguments], environment, "pg_dump")
    _pg_list(partial, environment, failure=BackupError)
    return counts


@contextlib.contextmanager
def _pg_snapshot(connection):
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params) as snapshot_connection:
        snapshot_connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_connection.read_only = True
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = {name for (name,) in cursor.fetchall()}
            counts = _count_rows(cursor, connection.ops.quote_name, tables)
        yield snapshot, counts
        snapshot_connection.rollback()


def _pg_restore(connection, path: Path, *, force: bool) -> None:
    pg_restore = _tool("pg_restore")
    arguments, environment = pg_connection_arguments(connection.settings_dict)
    backup_tables = _pg_list(path, environment, failure=NotABackup)
    if Post._meta.db_table not in backup_tables:
        raise NotABackup(f"{path} is a pg_dump file, but not of a Pizhu database (no posts table)")
    _refuse_replacing_data(connection, connection.settings_dict["NAME"], force=force)
    extra = sorted(set(connection.introspection.table_names()) - backup_tables)
    if extra:
        raise UnexpectedTables(
            f"the database has tables the backup lacks ({', '.join(extra)}): they would be "
            "left beside the restored ones. Restore into a new, empty database (createdb), "
            "or restore with the version of Pizhu that made the backup"
        )
    # --clean --if-exists drops what the backup holds before recreating it, all in one
    # transaction; --no-owner/--no-privileges: the restoring user owns everything, whoever
    # made the backup.
    connection.close()
    options = ["--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-privileges"]
    try:
        _run([pg_restore, *options, *arguments, str(path)], environment, "pg_restore")
    except BackupError as exc:
        raise BackupError(
            f"the restore failed; it ran as one transaction, so the database is unchanged. {exc}"
        ) from exc


def pg_connection_arguments(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore options and environment for a DATABASES entry. The password goes
    in PGPASSWORD: any user of the machine can read a command line (ps)."""
    arguments = []
    for option, key in (("dbname", "NAME"), ("username", "USER"), ("host", "HOST")):
        if settings_dict.get(key):
            arguments.append(f"--{option}={settings_dict[key]}")
    if settings_dict.get("PORT"):
        arguments.append(f"--port={settings_dict['PORT']}")
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = settings_dict["PASSWORD"]
    for option, variable in _LIBPQ_OPTIONS.items():
        if value := settings_dict.get("OPTIONS", {}).get(option):
            environment[variable] = str(value)
    return arguments, environment


def _pg_list(path: Path, environment: dict, *, failure: type[BackupError]) -> set[str]:
    """The tables a custom-format dump holds; reading its table of contents is the check
    that the file is one."""
    command = [_tool("pg_restore"), "--list", str(path)]
    listing = _run(command, environment, "pg_restore --list", failure=failure)
    return set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, re.MULTILINE))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} is not on PATH: install the PostgreSQL client of the server's major "
            "version (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(command: list[str], environment: dict, what: str, *, failure=BackupError) -> str:
    result = subprocess.run(  # noqa: S603 (a tool found on PATH, with our arguments)
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise failure(f"{what} failed: {result.stderr.strip()}")
    return result.stdout


# --- both engines -----------------------------------------------------------------------------


def _engine(connection) -> str:
    if connection.vendor not in ENGINE_NAMES:
        raise BackupError(f"backups are made of SQLite or PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _check_format(path: Path, engine: str) -> None:
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise NotABackup(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotABackup(f"{path} is a folder: give the backup file's name") from None
    if head.startswith(SQLITE_MAGIC):
        found = "sqlite"
    elif head.startswith(PG_DUMP_MAGIC):
        found = "postgresql"
    else:
        raise NotABackup(
            f"{path} is neither a SQLite database nor a pg_dump custom-format file "
            "(what manage.py backup writes)"
        )
    if found != engine:
        raise NotABackup(
            f"{path} is a {ENGINE_NAMES[found]} backup but this database is "
            f"{ENGINE_NAMES[engine]}: a backup is restored into the engine that made it"
        )


def _refuse_replacing_data(connection, database, *, force: bool) -> None:
    counts = _counts_now(connection)
    if not counts.empty and not force:
        raise DatabaseNotEmpty(
            f"the database {database} holds {counts}: restoring would replace them. "
            "Restore into an empty database, or pass --force to replace them"
        )


def _counts_now(connection) -> Counts:
    """What the database holds now (nothing yet when it has no tables)."""
    with connection.cursor() as cursor:
        return _count_rows(
            cursor, connection.ops.quote_name, set(connection.introspection.table_names(cursor))
        )


def _count_rows(cursor, quote, tables: set[str]) -> Counts:
    def rows(model) -> int:
        table = model._meta.db_table
        if table not in tables:
            return 0
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 (a model's table)
        return cursor.fetchone()[0]

    return Counts(
        posts=rows(Post),
        annotations=rows(Annotation),
        users=rows(get_user_model()),
        tokens=rows(ApiToken),
    )


def _unapplied_migrations(connection) -> list[str]:
    """Migrations of this code the restored database lacks (a backup older than the code)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@contextlib.contextmanager
def _partial_file(path: Path):
    """A new private file beside ``path``, removed on the way out unless moved into place."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
    finally:
        for leftover in [partial, *(Path(f"{partial}-{end}") for end in ("journal", "wal", "shm"))]:
            leftover.unlink(missing_ok=True)


def _publish(partial: Path, path: Path, *, overwrite: bool) -> None:
    """Move a finished backup into place, durably: synced before it gets its name, and the
    name synced after."""
    with partial.open("rb") as file:
        os.fsync(file.fileno())
    if overwrite:
        os.replace(partial, path)
    else:
        try:  # a hard link is atomic and never replaces: no race with another writer
            os.link(partial, path)
        except FileExistsError:
            raise BackupExists(
                f"{path} already exists: give another name, or --overwrite it"
            ) from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise BackupExists(f"{path} already exists") from None
            os.replace(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _same_file(path: Path, database: Path) -> bool:
    return path.resolve() in {
        database.resolve(),
        Path(f"{database}-wal").resolve(),
        Path(f"{database}-shm").resolve(),
    }


def plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
