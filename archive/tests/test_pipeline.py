"""archive.pipeline: the per-file work of import workers (pure: no database).

Also the helpers other tests hand to worker processes: a spawned worker imports them from
here, a module that does not need Django."""

import multiprocessing
import os
import signal
from contextlib import contextmanager

import pytest

from archive import chinese, pipeline, search_text

LIMIT = 10_000  # bytes: the size limit in these tests


class TookTooLong(Exception):
    """Not TimeoutError: that is an OSError, which the code under test may catch as its own."""


@contextmanager
def within(seconds: int):
    """Fail the test, rather than hang it, if the block is still running after ``seconds``."""

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def process_files_dying_on_poison(paths, **options):
    """pipeline.process_files, except that a worker process given a file named *poison* dies
    as the OOM killer or a crash in C code would end it: at once, without a word."""
    if multiprocessing.parent_process() and any("poison" in os.path.basename(p) for p in paths):
        os.kill(os.getpid(), signal.SIGKILL)
    return pipeline.process_files(paths, **options)


def process_files_dying_always(paths, **options):
    """A worker process that dies on whatever it is given (as if workers could not run here)."""
    if multiprocessing.parent_process():
        os.kill(os.getpid(), signal.SIGKILL)
    return pipeline.process_files(paths, **options)


@pytest.fixture
def fresh_tables():
    saved = dict(chinese._TABLES)
    chinese._TABLES.clear()
    yield
    chinese._TABLES.clear()
    chinese._TABLES.update(saved)


def test_a_worker_folds_with_the_tables_its_parent_hands_it_and_yields_the_cpu(
    fresh_tables, monkeypatch
):
    niceness = []
    monkeypatch.setattr(pipeline.os, "nice", niceness.append)
    pipeline.start_worker({"t2s": {ord("臺"): "台"}})
    # 灣 is not in the handed table: the worker used it rather than building its own.
    assert chinese.to_simplified_chars("臺灣") == "台灣"
    assert niceness == [pipeline.WORKER_NICENESS]


def test_the_parent_hands_workers_the_table_search_folding_uses():
    (tables,) = pipeline.worker_setup()
    assert tables["t2s"][ord("灣")] == "湾"
    assert search_text.fold("臺灣") == "台湾"


def test_a_post_is_parsed_cleaned_and_tokenized(tmp_path):
    path = tmp_path / "2024-01-01-a.md"
    path.write_text(
        '---\ntitle: "臺灣"\nfrom: https://example.org/a\n---\n<div><p>经济增长</p></div>',
        encoding="utf-8",
    )
    result = pipeline.process_file(str(path), max_bytes=LIMIT)
    assert isinstance(result, pipeline.Processed)
    assert result.cleaned.text == "经济增长"
    assert result.document == search_text.Document.of("臺灣", "", "经济增长")
    assert result.nbytes == len(result.post.raw_body)


def test_a_file_that_cannot_be_read_fails_with_its_path_and_reason(tmp_path):
    missing = str(tmp_path / "gone.md")
    result = pipeline.process_file(missing, max_bytes=LIMIT)
    assert isinstance(result, pipeline.Failure)
    assert (result.path, result.nbytes) == (missing, 0)
    assert result.error.startswith("cannot read:")


def test_a_parser_error_fails_the_file_and_keeps_its_hash(tmp_path):
    path = tmp_path / "2024-01-01-b.md"
    path.write_bytes(b"no front matter")
    result = pipeline.process_file(str(path), max_bytes=LIMIT)
    assert isinstance(result, pipeline.Failure) and result.content_hash


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "2024-01-01-pipe.md"
    os.mkfifo(fifo)
    with within(10):
        processed = pipeline.process_file(str(fifo), max_bytes=LIMIT)
        hashed = pipeline.hash_files([str(fifo)], max_bytes=LIMIT)
    assert processed.error == "not a regular file (a FIFO)"
    assert hashed == [(str(fifo), "", "not a regular file (a FIFO)")]


def test_a_link_to_a_device_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "2024-01-01-zero.md"
    link.symlink_to("/dev/zero")  # reading it never ends
    with within(10):
        processed = pipeline.process_file(str(link), max_bytes=LIMIT)
        hashed = pipeline.hash_files([str(link)], max_bytes=LIMIT)
    assert processed.error == "not a regular file (a character device)"
    assert hashed == [(str(link), "", "not a regular file (a character device)")]


def test_a_folder_named_like_a_post_is_refused(tmp_path):
    folder = tmp_path / "2024-01-01-folder.md"
    folder.mkdir()
    assert pipeline.process_file(str(folder), max_bytes=LIMIT).error == (
        "not a regular file (a folder)"
    )


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "2024-01-01-huge.md"
    with huge.open("wb") as file:
        file.truncate(1 << 40)  # a sparse terabyte: reading it whole would not fit in memory
    expected = "1,099,511,627,776 bytes, over the limit of 10,000 bytes (PIZHU_MAX_POST_BYTES)"
    with within(10):
        assert pipeline.process_file(str(huge), max_bytes=LIMIT).error == expected
        assert pipeline.hash_files([str(huge)], max_bytes=LIMIT) == [(str(huge), "", expected)]


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path):
    path = tmp_path / "2024-01-01-a.md"
    path.write_bytes(b"x" * LIMIT)
    assert pipeline.read_post_bytes(str(path), max_bytes=LIMIT) == b"x" * LIMIT
    path.write_bytes(b"x" * (LIMIT + 1))
    with pytest.raises(pipeline.Unreadable, match="10,001 bytes, over the limit of 10,000"):
        pipeline.read_post_bytes(str(path), max_bytes=LIMIT)
