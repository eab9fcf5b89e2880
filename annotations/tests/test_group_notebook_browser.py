"""The group notebook in a real browser (see conftest.page), on a phone and a desktop: the
group's notes with their authors and replies, filtered by author, and its Markdown export."""

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Visibility
from annotations.tests.conftest import changes
from annotations.values import Changes
from conftest import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_group_notebook_shows_each_thread_and_filters_by_author(
    page, live_server, alice, bob, team, post, tmp_path, width
):
    group = {"visibility": Visibility.GROUP, "group": team.pk}
    note = services.create(
        alice, changes(post, "增长放缓", kind="note", body="增长为什么**放缓**？", **group)
    )
    answer = services.create(bob, Changes(parent=note.pk, body="因为债务。" + "很长的回复" * 40))
    services.create(alice, Changes(parent=answer.pk, body="同意。"))
    services.create(bob, changes(post, "专家说", kind="note", body="专家是谁？", **group))
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, bob)
    page.goto(f"/groups/{team.pk}/notes/")

    entries = page.locator("[data-entry]")
    expect(entries).to_have_count(2)
    first = entries.first
    expect(first.locator(".entry-note strong")).to_have_text("放缓")
    expect(first.locator("[data-reply]")).to_have_count(2)
    expect(first.locator("[data-reply] .entry-author")).to_have_text(["— bob", "— alice"])
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.errors == []
    save_screenshot(page, f"group-notebook-{width}")

    filters = page.locator("details.notebook-filters-box")
    if width < 640:  # on a phone the filters come folded (site.js): unfold them first
        expect(filters).not_to_have_attribute("open", "")
        filters.locator("summary").click()
    page.get_by_label("作者 Author").select_option("alice")
    page.get_by_role("button", name="筛选 Filter").click()
    expect(entries).to_have_count(1)
    expect(page.locator(".entry-author").first).to_have_text("— alice")

    with page.expect_download() as download_info:
        page.locator("[data-export-group-md]").click()
    path = tmp_path / "group.md"
    download_info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "# 小组笔记 Group notes: 读书会 Reading club" in text
    assert "— alice ·" in text and "— bob ·" in text and "专家是谁" not in text
