"""The daily review in a real browser (see conftest.page), on a desktop and on a phone:
three cards answered with keys, then done for today with the streak."""

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from review import daily
from review.models import ReviewCard, ReviewLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_three_cards_answered_with_keys_then_done_with_the_streak(
    page, live_server, owner, make_annotations, width
):
    made = make_annotations(owner, 4)
    daily.save_settings(owner, daily_count=3, email_digest=False)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, owner)
    page.goto("/review/")

    card = page.locator("[data-review-card]")
    expect(card).to_have_attribute("data-review-card", str(made[0].pk))
    expect(card.locator("mark")).to_have_text(made[0].exact)
    expect(page.locator("[data-review-progress]")).to_contain_text("第 1 / 3 条")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"review-card-{width}")

    page.keyboard.press("?")  # the keys, listed
    expect(page.locator("[data-keys-dialog]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("[data-keys-dialog]")).to_be_hidden()

    for key, annotation, position in (("1", made[1], 2), ("s", made[2], 3)):
        page.keyboard.press(key)
        expect(card).to_have_attribute("data-review-card", str(annotation.pk))
        expect(page.locator("[data-review-progress]")).to_contain_text(f"第 {position} / 3 条")
    page.keyboard.press("3")

    done = page.locator("[data-review-done]")
    expect(done).to_contain_text("All done for today")
    expect(done).to_contain_text("1-day streak")
    expect(page.locator("[data-review-streak]")).to_have_attribute("data-review-streak", "1")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.errors == []
    save_screenshot(page, f"review-done-{width}")

    answers = dict(ReviewLog.objects.values_list("card__annotation_id", "answer"))
    assert answers == {made[0].pk: "keep", made[1].pk: "soon", made[2].pk: "later"}
    dues = {c.annotation_id: c.due for c in ReviewCard.objects.all()}
    assert dues[made[1].pk] < dues[made[0].pk] < dues[made[2].pk]


def test_answer_buttons_work_without_keys_and_never_can_be_undone(
    page, live_server, owner, make_annotations
):
    made = make_annotations(owner, 2)
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, live_server, owner)
    page.goto("/review/")
    page.get_by_role("button", name="不再显示 Never").click()
    expect(page.locator("[data-review-card]")).to_have_attribute(
        "data-review-card", str(made[1].pk)
    )
    page.get_by_role("button", name="撤销 Undo").click()
    expect(page.get_by_role("status")).to_contain_text("Restored")
    assert not ReviewCard.objects.get(annotation=made[0]).suspended
    assert page.errors == []
