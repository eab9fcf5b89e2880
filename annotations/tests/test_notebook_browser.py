"""The notebook's page notes and my own tags of posts in a real browser (see conftest.page),
on a desktop and on a phone: tagged in the notebook, then in the post's Markdown file."""

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from conftest import save_screenshot, sign_in
from library import state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_note(user, post, body):
    target = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=target, kind="note", body=body))


@pytest.mark.parametrize("width", [360, 1280])
def test_a_page_note_and_my_tag_in_the_notebook_and_its_markdown(
    page, live_server, reader, post, tmp_path, width
):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, reader)
    passage = services.create(reader, changes(post, "增长放缓", kind="note", body="段落的笔记"))
    note = page_note(reader, post, "整篇的**要点**")
    page.goto("/notes/")

    section = page.locator(f'section[aria-labelledby="post-{post.pk}"]')
    entries = section.locator("[data-entry]")
    expect(entries).to_have_count(2)
    expect(entries.first).to_have_attribute("data-entry", str(note.pk))  # the page note first
    expect(entries.first).to_contain_text("页面笔记 Page note")
    expect(entries.first.locator("strong")).to_have_text("要点")
    expect(entries.first.locator("blockquote")).to_have_count(0)
    expect(entries.nth(1).locator("blockquote")).to_have_text("增长放缓")

    section.get_by_text("添加我的标签 Add my tags").click()
    section.get_by_label("我的标签，用逗号分开 My tags, comma-separated").fill("待读，经济学")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")  # box open
    section.get_by_role("button", name="保存 Save").click()
    tags = page.locator(f'section[aria-labelledby="post-{post.pk}"] .my-tag')
    expect(tags).to_have_text(["#待读", "#经济学"])
    assert state.get(reader, post.pk).tag_names == ["待读", "经济学"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.errors == []
    save_screenshot(page, f"notebook-page-note-my-tags-{width}")

    with page.expect_download() as download_info:
        section.locator(f'a[href="/notes/export.md?post={post.pk}"]').click()
    path = tmp_path / "post.md"
    download_info.value.save_as(path)
    text = path.read_text()
    assert "my_tags:\n- 待读\n- 经济学\n" in text
    assert "我的标签 My tags: #待读 #经济学" in text
    assert text.index("## 页面笔记 Page notes") < text.index("整篇的**要点**")
    assert text.index("整篇的**要点**") < text.index("> 增长放缓") < text.index("段落的笔记")
    assert f"^pizhu-{passage.pk}\n" in text

    tags.first.click()  # my tag filters the notebook
    expect(page).to_have_url(f"{live_server.url}/notes/?mytag=%E5%BE%85%E8%AF%BB")
    expect(page.locator("section.notebook-post")).to_have_count(1)
