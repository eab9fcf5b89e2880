"""Fixtures shared by every app's tests."""

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "shared" / "corpus"
FIXTURE_POSTS = Path(__file__).resolve().parent / "fixtures" / "posts"


def render_post(
    *,
    title="测试文章",
    date="2024-01-02T03:04:05.000Z",
    author="测试员",
    url="https://example.org/post/1",
    tags="[ 示例日报 ]",
    categories="[ 示例日报 ]",
    body="<div><p>正文第一段。</p><p>第二段。</p></div>",
    header=True,
    extra_front_matter="",
) -> str:
    """A post in the generator's exact format; pass None to leave a field out."""
    lines = ["---", "layout: post"]
    for key, value in [
        ("title", f'"{title}"' if title is not None else None),
        ("date", date),
        ("author", author),
        ("from", url),
        ("tags", tags),
        ("comments", "True"),
        ("categories", categories),
    ]:
        if value is not None:
            lines.append(f"{key}: {value}")
    if extra_front_matter:
        lines.append(extra_front_matter)
    lines.append("---")
    if header:
        lines += ["<!--1704164645000-->", f"[{title}]({url})", "------", ""]
    return "\n".join(lines) + "\n" + body + "\n"


class ArchiveDir:
    """A temporary ``_posts`` folder and a helper that writes posts into it."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir()

    def write(self, name="2024-01-02-测试文章.md", content=None, **fields) -> Path:
        path = self.path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if content is not None else render_post(**fields), "utf-8")
        return path

    def __fspath__(self):
        return str(self.path)

    __str__ = __fspath__


@pytest.fixture
def archive_dir(tmp_path):
    return ArchiveDir(tmp_path / "_posts")


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (../shared is not part of the project)")
    return CORPUS
