"""archive.pipeline: the per-file work of import workers (pure: no database)."""

import pytest

from archive import chinese, pipeline, search_text


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
    result = pipeline.process_file(str(path))
    assert isinstance(result, pipeline.Processed)
    assert result.cleaned.text == "经济增长"
    assert result.document == search_text.Document.of("臺灣", "", "经济增长")
    assert result.nbytes == len(result.post.raw_body)


def test_a_file_that_cannot_be_read_fails_with_its_path_and_reason(tmp_path):
    missing = str(tmp_path / "gone.md")
    result = pipeline.process_file(missing)
    assert isinstance(result, pipeline.Failure)
    assert (result.path, result.nbytes) == (missing, 0)
    assert result.error.startswith("cannot read:")


def test_a_parser_error_fails_the_file_and_keeps_its_hash(tmp_path):
    path = tmp_path / "2024-01-01-b.md"
    path.write_bytes(b"no front matter")
    result = pipeline.process_file(str(path))
    assert isinstance(result, pipeline.Failure) and result.content_hash
