"""The reader's place in a post, in a real browser (static/js/reading.js): progress bar, time
left, contents and the dock for everyone; for a signed-in reader, resuming where they were,
read, favourite, archive and own tags (in the tools and at the end of the post), and the keys
dialog. At a desktop and a phone width (and 1024 px where the gutter is narrowest)."""

import re

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.tests.conftest import changes
from archive.importer import import_paths
from archive.models import Post
from conftest import ARTIFACTS, save_screenshot, sign_in
from library import state
from library.models import ReadingState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param((1280, 900), id="1280px"), pytest.param((360, 740), id="360px")]
PARAGRAPHS = 200

# The index of the first paragraph of the body with a line below the top of the screen.
FIRST_VISIBLE_PARAGRAPH = """() => [...document.querySelectorAll('[data-post-body] p')]
  .findIndex((p) => p.getBoundingClientRect().bottom > 4)"""
SCROLL_TO_MIDDLE = "() => window.scrollTo(0, document.documentElement.scrollHeight / 2)"
# Counts the beacons the page sends, where the next page of the tab can read it.
COUNT_BEACONS = """() => {
  const send = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (...args) => {
    sessionStorage.setItem('beacons', Number(sessionStorage.getItem('beacons') || 0) + 1);
    return send(...args);
  };
}"""


def save_view(page, name: str) -> None:
    """A screenshot of what is on the screen (a long post's whole page is a thin strip)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def long_body(headings: int) -> str:
    """PARAGRAPHS paragraphs, long enough to wrap on a phone, with ``headings`` h2 spread
    through them."""
    parts = []
    every = PARAGRAPHS // max(headings, 1)
    for n in range(PARAGRAPHS):
        if headings and n % every == 0 and n // every < headings:
            parts.append(f"<h2>第{n // every + 1}节 小标题</h2>")
        parts.append(
            f"<p>第{n}段。这是一段用来读的文字，写得长一些，好让它在手机上占两三行，也让整篇文章足够长。</p>"
        )
    return "<div>" + "".join(parts) + "</div>"


def make_post(archive_dir, headings=4) -> Post:
    archive_dir.write(title="一篇长文", body=long_body(headings), url="https://example.org/long")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/long")


def paragraph_at(text: str, position: int) -> int:
    """Which paragraph of long_body() holds code point ``position`` of the post's text."""
    found = [int(m.group(1)) for m in re.finditer(r"第(\d+)段", text) if m.start() <= position]
    return found[-1] if found else -1


@pytest.fixture
def long_post(archive_dir):
    return make_post(archive_dir)


@pytest.fixture
def reader_page(page, live_server, owner, request):
    """The page at the test's width, signed in as the owner."""
    width, height = request.param
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, owner)
    page.width = width
    writes = track_state_writes(page)
    yield page
    # Leaving would send the last place with sendBeacon, which Playwright does not see:
    # nothing may reach the server once the test is over and its database is being emptied.
    page.evaluate("navigator.sendBeacon = () => true")
    page.goto("about:blank")
    for _ in range(50):
        if not writes:
            break
        page.wait_for_timeout(100)


def track_state_writes(page) -> set:
    """The state writes the page has sent and not yet seen answered."""
    pending = set()

    def sent(request):
        if request.url.endswith("/state") and request.method != "GET":
            pending.add(request)

    page.context.on("request", sent)
    page.context.on("requestfinished", lambda request: pending.discard(request))
    page.context.on("requestfailed", lambda request: pending.discard(request))
    return pending


def open_post(page, post, suffix=""):
    page.goto(post.get_absolute_url() + suffix)
    expect(page.locator("[data-reading-state]")).to_be_visible()  # the state has arrived


def is_state_write(response) -> bool:
    return response.url.endswith("/state") and response.request.method in ("PATCH", "POST")


def toggle(page, field, where="[data-reading-state]"):
    """The ``field`` button of the tools (or of ``where``: "[data-post-end]")."""
    return page.locator(f"{where} [data-reading-toggle='{field}']")


def overlaps_the_text(page, box) -> bool:
    """Whether ``box`` (a bounding box on the screen) covers part of the text column."""
    column = page.locator("[data-post-body]").bounding_box()
    return (
        box["x"] < column["x"] + column["width"]
        and column["x"] < box["x"] + box["width"]
        and box["y"] < column["y"] + column["height"]
        and column["y"] < box["y"] + box["height"]
    )


def saved(owner, post) -> ReadingState:
    return ReadingState.objects.get(user=owner, post=post)


def api_state(page, post) -> dict:
    response = page.request.get(f"/api/posts/{post.pk}/state")
    assert response.ok
    return response.json()


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_read_half_reload_and_land_where_you_were(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    with page.expect_response(is_state_write):
        page.evaluate(SCROLL_TO_MIDDLE)
    before = page.evaluate(FIRST_VISIBLE_PARAGRAPH)
    assert before > 20

    found = saved(owner, long_post)
    assert 0.3 < found.progress < 0.7
    assert abs(paragraph_at(long_post.text, found.position) - before) <= 1
    assert found.read_at is None

    page.reload()
    expect(page.locator("[data-resumed]")).to_be_visible()
    expect(page.locator("[data-resumed]")).to_contain_text("Resumed where you left off")
    page.wait_for_timeout(300)  # late layout (fonts, annotations) is followed
    assert abs(page.evaluate(FIRST_VISIBLE_PARAGRAPH) - before) <= 1
    save_screenshot(page, f"reading-resumed-{page.width}")

    page.get_by_role("button", name="回到开头 Back to top").click()
    expect(page.locator("[data-resumed]")).to_be_hidden()
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_the_place_survives_the_switch_to_traditional_characters(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    with page.expect_response(is_state_write):
        page.evaluate(SCROLL_TO_MIDDLE)
    before = page.evaluate(FIRST_VISIBLE_PARAGRAPH)
    open_post(page, long_post, "?script=hant")  # another day, in the other script
    expect(page.locator("[data-post-body]")).to_contain_text("這是一段")
    expect(page.locator("[data-resumed]")).to_be_visible()
    assert abs(page.evaluate(FIRST_VISIBLE_PARAGRAPH) - before) <= 1


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_reaching_the_end_marks_the_post_read_and_the_list_shows_it(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    with page.expect_response(lambda r: is_state_write(r) and '"read": true' in r.text()):
        page.keyboard.press("End")
    assert api_state(page, long_post)["read"] is True
    assert saved(owner, long_post).progress == 1
    expect(toggle(page, "read")).to_have_accessible_name("标为未读 Mark as unread")
    expect(page.locator(".pz-toast")).to_contain_text("Finished: marked as read")

    page.goto("/")
    expect(page.locator(f"[data-post-id='{long_post.pk}']")).to_have_attribute("data-state", "read")


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_finished_by_mistake_is_undone_and_not_marked_again(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    with page.expect_response(lambda r: is_state_write(r) and '"read": true' in r.text()):
        page.keyboard.press("End")
    with page.expect_response(lambda r: is_state_write(r) and '"read": false' in r.text()):
        page.locator(".pz-toast").get_by_role("button", name="撤销 Undo").click()
    page.keyboard.press("Home")
    page.keyboard.press("End")
    page.wait_for_timeout(1500)  # a save, but no second "read"
    assert saved(owner, long_post).read_at is None


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_a_jump_to_the_last_annotation_does_not_mark_the_post_read(reader_page, long_post, owner):
    last = services.create(owner, changes(long_post, "第199段", kind="note", body="结尾"))
    page = reader_page
    open_post(page, long_post)
    expect(page.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")
    page.get_by_role("button", name="批注 Annotations (1)").click()
    page.locator(f'[data-panel-item="{last.pk}"]').click()  # the page scrolls, not the reader
    assert page.evaluate("document.querySelector('[data-post-body]').getBoundingClientRect()"
                         ".bottom <= innerHeight")  # fmt: skip
    page.wait_for_timeout(1500)  # the place may be saved, but nothing is read
    assert api_state(page, long_post)["read"] is False
    expect(toggle(page, "read")).to_have_accessible_name("标为已读 Mark as read")
    # The reader's own scrolling there is reading to the end.
    with page.expect_response(lambda r: is_state_write(r) and '"read": true' in r.text()):
        page.mouse.wheel(0, -100)


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_keys_favourite_and_mark_read_and_unread(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    favourite = toggle(page, "favourite")
    expect(favourite).to_have_attribute("aria-pressed", "false")
    expect(favourite).to_have_accessible_name("收藏 Favourite")

    with page.expect_response(is_state_write):
        page.keyboard.press("f")
    expect(favourite).to_have_attribute("aria-pressed", "true")
    expect(favourite).to_have_accessible_name("已收藏 Favourited")
    assert api_state(page, long_post)["favourite"] is True

    with page.expect_response(is_state_write):
        page.keyboard.press("m")
    expect(toggle(page, "read")).to_have_accessible_name("标为未读 Mark as unread")
    assert api_state(page, long_post)["read"] is True

    with page.expect_response(is_state_write):
        page.keyboard.press("m")
    expect(toggle(page, "read")).to_have_accessible_name("标为已读 Mark as read")
    assert api_state(page, long_post)["read"] is False

    # Not while typing.
    page.locator("[data-search-input]").click()
    page.keyboard.type("f")
    page.wait_for_timeout(300)
    assert api_state(page, long_post)["favourite"] is True


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_the_archive_button_puts_the_post_away_and_back(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    archive = toggle(page, "archived")
    expect(archive).to_have_accessible_name("归档 Archive")
    with page.expect_response(is_state_write):
        archive.click()
    expect(archive).to_have_attribute("aria-pressed", "true")
    expect(archive).to_have_accessible_name("已归档 Archived")
    assert saved(owner, long_post).archived is True
    with page.expect_response(is_state_write):
        archive.click()
    expect(archive).to_have_attribute("aria-pressed", "false")
    expect(archive).to_have_accessible_name("归档 Archive")
    assert saved(owner, long_post).archived is False


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_buttons_show_the_saved_state_and_a_refusal_is_explained(reader_page, long_post, owner):
    state.change(owner, long_post.pk, {"favourite": True, "read": True})
    page = reader_page

    def refuse_writes(route):
        if route.request.method == "GET":
            route.continue_()
        else:
            route.fulfill(status=500, json={"error": "boom"})

    page.route("**/api/posts/*/state", refuse_writes)
    open_post(page, long_post)
    for where in ("[data-reading-state]", "[data-post-end]"):
        expect(toggle(page, "favourite", where)).to_have_attribute("aria-pressed", "true")
        expect(toggle(page, "favourite", where)).to_have_accessible_name("已收藏 Favourited")
        expect(toggle(page, "read", where)).to_have_accessible_name("标为未读 Mark as unread")
    page.keyboard.press("f")
    expect(page.locator(".pz-toast")).to_contain_text("Not saved: boom")
    expect(toggle(page, "favourite")).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_question_mark_lists_every_key(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="键盘快捷键 Keyboard shortcuts")
    expect(dialog).to_be_visible()
    keys = dialog.locator("kbd").all_inner_texts()
    for key in ("j", "k", "/", "m", "f", "]", "[", "h", "n", "t", "Esc", "?"):
        assert key in keys
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"reading-keys-{page.width}")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The paragraph of keys under the post: not on a phone, where there is no keyboard.
    if page.width < 480:
        expect(page.locator(".keys-help")).to_be_hidden()
    else:
        expect(page.locator(".keys-help")).to_be_visible()


def heading_top(page, index) -> float:
    return (
        page.locator("[data-post-body] h2")
        .nth(index)
        .evaluate("h => h.getBoundingClientRect().top")
    )


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_contents_from_three_headings_and_a_link_jumps_to_its_heading(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    contents = page.locator("[data-toc]")
    open_contents = page.get_by_role("button", name="目录 Contents")
    if page.width < 1024:  # a phone has them behind the dock's button, not above the text
        expect(contents).to_be_hidden()
        open_contents.click()
        contents = page.get_by_role("dialog", name="目录 Contents")
    else:
        expect(open_contents).to_be_hidden()  # the list is in sight
    expect(contents).to_be_visible()
    links = contents.get_by_role("link")
    expect(links).to_have_count(4)
    expect(links.nth(2)).to_have_text("第3节 小标题")
    links.nth(2).click()
    expect(page).to_have_url(re.compile(r"#section-3$"))
    assert abs(heading_top(page, 2)) < 5
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


CONTENTS_WIDTHS = [*WIDTHS, pytest.param((1024, 768), id="1024px")]


@pytest.mark.parametrize("reader_page", CONTENTS_WIDTHS, indirect=True)
def test_the_contents_are_a_button_away_while_reading(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    page.evaluate(SCROLL_TO_MIDDLE)
    expect(page.locator("[data-toc]")).not_to_be_in_viewport()
    open_contents = page.get_by_role("button", name="目录 Contents")
    expect(open_contents).to_be_visible()
    open_contents.click()
    dialog = page.get_by_role("dialog", name="目录 Contents")
    expect(dialog).to_be_visible()
    # The section being read is marked and focused: the middle of 4 sections is the 2nd or 3rd.
    current = dialog.locator("a[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_be_focused()
    assert current.inner_text() in ("第2节 小标题", "第3节 小标题")
    box, width, height = (
        dialog.bounding_box(),
        page.viewport_size["width"],
        page.viewport_size["height"],
    )
    if page.width < 1024:  # a sheet from the bottom
        assert box["x"] == 0 and box["width"] == width
        assert abs(box["y"] + box["height"] - height) < 1
    else:  # a popover in the gutter, clear of the text
        assert not overlaps_the_text(page, box)
    save_view(page, f"reading-contents-dialog-{page.width}")

    # Even the section it came from: back to its heading.
    dialog.get_by_role("link", name="第1节 小标题").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#section-1$"))
    assert abs(heading_top(page, 0)) < 5
    page.evaluate(SCROLL_TO_MIDDLE)
    open_contents.click()
    dialog.get_by_role("link", name="第1节 小标题").click()
    assert abs(heading_top(page, 0)) < 5

    # Esc closes it and leaves the place alone.
    open_contents.click()
    before = page.evaluate("scrollY")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("scrollY") == before
    assert page.errors == []


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_no_contents_for_two_headings(reader_page, archive_dir):
    post = make_post(archive_dir, headings=2)
    page = reader_page
    open_post(page, post)
    expect(page.locator("[data-post-body] h2")).to_have_count(2)
    expect(page.locator("[data-toc]")).to_be_hidden()


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_a_link_to_a_heading_wins_over_resuming(reader_page, long_post, owner):
    middle = long_post.text.index("第120段")
    state.change(owner, long_post.pk, {"progress": 0.6, "position": middle})
    page = reader_page
    open_post(page, long_post, "#section-2")
    page.wait_for_timeout(500)
    expect(page.locator("[data-resumed]")).to_be_hidden()
    heading = page.locator("[data-post-body] h2").nth(1)
    assert abs(heading.evaluate("h => h.getBoundingClientRect().top")) < 5


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_a_post_read_to_the_end_opens_at_the_top(reader_page, long_post, owner):
    middle = long_post.text.index("第120段")
    state.change(owner, long_post.pk, {"progress": 1, "position": middle, "read": True})
    page = reader_page
    open_post(page, long_post)
    page.wait_for_timeout(500)
    expect(page.locator("[data-resumed]")).to_be_hidden()
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_opening_without_scrolling_writes_nothing(reader_page, long_post, owner):
    page = reader_page
    writes = []
    page.on(
        "request",
        lambda r: (
            writes.append(r.method) if r.url.endswith("/state") and r.method != "GET" else None
        ),
    )
    open_post(page, long_post)
    page.wait_for_timeout(1500)
    page.goto("/")
    page.wait_for_timeout(300)
    assert writes == []
    assert not ReadingState.objects.filter(user=owner).exists()


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_resuming_writes_nothing_until_the_reader_moves_on(reader_page, long_post, owner):
    middle = long_post.text.index("第120段")
    state.change(owner, long_post.pk, {"progress": 0.6, "position": middle})
    page = reader_page
    writes = []
    page.on("response", lambda r: writes.append(r) if is_state_write(r) else None)
    open_post(page, long_post)
    expect(page.locator("[data-resumed]")).to_be_visible()
    assert page.evaluate(FIRST_VISIBLE_PARAGRAPH) == 120
    page.wait_for_timeout(1500)
    assert writes == []
    with page.expect_response(is_state_write):
        page.mouse.wheel(0, 2000)
    assert paragraph_at(long_post.text, saved(owner, long_post).position) > 121


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_leaving_right_after_scrolling_still_saves_the_place(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    page.evaluate(COUNT_BEACONS)
    page.evaluate(SCROLL_TO_MIDDLE)
    page.wait_for_timeout(100)  # well before the save made after a pause
    page.goto("/")
    assert page.evaluate("sessionStorage.getItem('beacons')") == "1"
    for _ in range(50):  # the beacon is sent as the page goes; it lands a moment later
        if ReadingState.objects.filter(user=owner, post=long_post, position__gt=0).exists():
            break
        page.wait_for_timeout(100)
    found = saved(owner, long_post)
    assert 0.3 < found.progress < 0.7
    assert 60 < paragraph_at(long_post.text, found.position) < 140


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_the_progress_bar_and_time_left_follow_the_reader(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    bar = page.get_by_role("progressbar", name="阅读进度 Reading progress")
    time_left = page.locator("[data-time-left]")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(time_left).to_be_hidden()  # the header says how long the post is
    page.evaluate(SCROLL_TO_MIDDLE)
    expect(bar).not_to_have_attribute("aria-valuenow", "0")
    percent = int(bar.get_attribute("aria-valuenow"))
    assert 30 < percent < 70
    minutes = long_post.reading_minutes
    expect(time_left).to_have_text(re.compile(r"还剩 (\d+) 分钟 · \1 min left"))
    left = int(re.search(r"(\d+) min left", time_left.inner_text()).group(1))
    assert 0 < left < minutes
    page.keyboard.press("End")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(time_left).to_be_hidden()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)])
def test_anonymous_readers_get_contents_and_progress_but_no_state(page, long_post, width, height):
    page.set_viewport_size({"width": width, "height": height})
    state_requests, console_errors = [], []
    page.on("request", lambda r: state_requests.append(r.url) if "/state" in r.url else None)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(long_post.get_absolute_url())
    if width < 1024:
        expect(page.get_by_role("button", name="目录 Contents")).to_be_visible()
    else:
        expect(page.locator("[data-toc]")).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    page.evaluate(SCROLL_TO_MIDDLE)
    expect(bar).not_to_have_attribute("aria-valuenow", "0")
    page.keyboard.press("f")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert "m" not in dialog.locator("kbd").all_inner_texts()  # nothing to mark without signing in
    page.wait_for_timeout(1500)
    expect(page.locator("[data-reading-state]")).to_have_count(0)
    expect(page.locator("[data-post-end]")).to_have_count(0)
    expect(page.locator("[data-reader-tags]")).to_have_count(0)
    expect(page.get_by_role("button", name="回到开头 Back to top")).to_be_visible()
    assert state_requests == [] and console_errors == [] and page.errors == []


# --- What floats over the page stays off the text (the dock) ----------------------------------

WIDE = [pytest.param((1280, 900), id="1280px"), pytest.param((1024, 768), id="1024px")]
# What the dock shows: each shown note or button, with its size.
DOCK_SHOWN = """() => [...document.querySelectorAll(
    '[data-reading-dock] :is([data-time-left], [data-resumed], button)')]
  .filter((node) => node.checkVisibility())
  .map((node) => { const box = node.getBoundingClientRect();
    return { tag: node.localName, width: box.width, height: box.height }; })"""


def resume_in_the_middle(page, owner, post):
    """Open ``post`` with a saved place in its middle; the resume notice shows."""
    state.change(owner, post.pk, {"progress": 0.6, "position": post.text.index("第120段")})
    open_post(page, post)
    expect(page.locator("[data-resumed]")).to_be_visible()


@pytest.mark.parametrize("reader_page", WIDE, indirect=True)
def test_on_a_wide_screen_the_dock_stays_in_the_gutter(reader_page, long_post, owner):
    page = reader_page
    resume_in_the_middle(page, owner, long_post)
    notice = page.locator("[data-resumed]")
    time_left = page.locator("[data-time-left]")
    page.mouse.wheel(0, 60)  # a little: time left shows, the notice stays
    expect(time_left).to_be_visible()
    expect(page.get_by_role("button", name="回到开头 Back to top")).to_be_visible()
    expect(page.get_by_role("button", name="目录 Contents")).to_be_visible()
    save_view(page, f"reading-dock-{page.width}")
    shown = [notice, time_left, *page.locator("[data-reading-dock] button").all()]
    for node in shown:
        expect(node).to_be_visible()
        assert not overlaps_the_text(page, node.bounding_box()), node.evaluate("n => n.outerHTML")

    # Time left goes once the reader stops scrolling; the notice a few seconds later.
    expect(time_left).to_be_hidden(timeout=2500)
    expect(notice).to_be_visible()
    expect(notice).to_be_hidden(timeout=6000)


def test_on_a_phone_only_the_small_buttons_stay(page, live_server, long_post, owner):
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, owner)
    resume_in_the_middle(page, owner, long_post)
    page.route("**/api/posts/*/state", lambda route: route.fulfill(json={}))  # no save needed
    page.mouse.wheel(0, 500)  # reading on: the notice has said it
    expect(page.locator("[data-resumed]")).to_be_hidden()
    expect(page.locator("[data-time-left]")).to_be_visible()
    expect(page.locator("[data-time-left]")).to_be_hidden(timeout=2500)
    shown = page.evaluate(DOCK_SHOWN)
    assert [item["tag"] for item in shown] == ["button", "button"]
    for item in shown:  # 目录 and ↑: small round buttons, nothing wider
        assert item["width"] <= 44 and item["height"] <= 44, item
    save_view(page, "reading-dock-360")


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_back_to_top_shows_once_past_the_first_screen(reader_page, long_post):
    page = reader_page
    open_post(page, long_post)
    back = page.get_by_role("button", name="回到开头 Back to top")
    expect(back).to_be_hidden()
    page.mouse.wheel(0, page.viewport_size["height"] // 2)
    page.wait_for_timeout(300)
    expect(back).to_be_hidden()
    page.evaluate(SCROLL_TO_MIDDLE)
    expect(back).to_be_visible()
    back.click()
    assert page.evaluate("window.scrollY") == 0
    expect(back).to_be_hidden()


# --- The end of the post ----------------------------------------------------------------------


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_the_end_of_the_post_says_finished_and_its_toggles_follow_the_tools(
    reader_page, archive_dir, long_post, owner
):
    archive_dir.write(  # a newer post of the source: a link at the right under the post
        name="2024-01-03-newer.md",
        title="更新的一篇",
        date="2024-01-03T03:04:05.000Z",
        url="https://example.org/newer",
    )
    import_paths([archive_dir])
    page = reader_page
    open_post(page, long_post)
    end = page.locator("[data-post-end]")
    expect(end).to_contain_text("还没标为已读 Not marked as read yet.")
    with page.expect_response(lambda r: is_state_write(r) and '"read": true' in r.text()):
        page.keyboard.press("End")
    expect(end).to_be_in_viewport()
    expect(end).to_contain_text("✓ 读完了 Finished.")
    for where in ("[data-reading-state]", "[data-post-end]"):
        expect(toggle(page, "read", where)).to_have_accessible_name("标为未读 Mark as unread")
    # The message says it at the top, off the links to the previous and next post.
    toast = page.locator(".pz-toast")
    expect(toast).to_contain_text("Finished: marked as read")
    newer = page.get_by_role("link", name="更新的一篇 →")
    expect(newer).to_be_in_viewport()
    link_box = newer.bounding_box()
    assert toast.bounding_box()["y"] + toast.bounding_box()["height"] < link_box["y"]
    for button in page.locator("[data-reading-dock] button").all():  # nor do the dock's
        box = button.bounding_box()
        assert (
            box["y"] > link_box["y"] + link_box["height"]
            or box["x"] > link_box["x"] + link_box["width"]
        )
    save_view(page, f"reading-end-{page.width}")

    # The end's buttons write, and the tools' follow (and the other way round).
    with page.expect_response(is_state_write):
        toggle(page, "favourite", "[data-post-end]").click()
    for where in ("[data-reading-state]", "[data-post-end]"):
        expect(toggle(page, "favourite", where)).to_have_attribute("aria-pressed", "true")
        expect(toggle(page, "favourite", where)).to_have_accessible_name("已收藏 Favourited")
    with page.expect_response(is_state_write):
        toggle(page, "archived", "[data-post-end]").click()
    expect(toggle(page, "archived")).to_have_accessible_name("已归档 Archived")
    with page.expect_response(is_state_write):
        toggle(page, "read", "[data-post-end]").click()
    expect(end).to_contain_text("还没标为已读 Not marked as read yet.")
    expect(toggle(page, "read")).to_have_accessible_name("标为已读 Mark as read")
    found = saved(owner, long_post)
    assert (found.favourite, found.archived, found.read_at) == (True, True, None)
    with page.expect_response(is_state_write):
        toggle(page, "favourite").click()
    expect(toggle(page, "favourite", "[data-post-end]")).to_have_accessible_name("收藏 Favourite")


# --- My own tags, in the reader ---------------------------------------------------------------


def my_tags(page):
    return page.locator("[data-reader-tags]")


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_my_tags_are_added_in_the_reader_and_shown_after_a_reload(reader_page, long_post, owner):
    page = reader_page
    open_post(page, long_post)
    edit = page.get_by_role("button", name="我的标签 My tags")
    edit.click()
    field = page.get_by_role("textbox", name="我的标签，用逗号分开 My tags, comma-separated")
    expect(field).to_be_focused()
    field.fill("长文，经济、 #待读, 经济")
    with page.expect_response(is_state_write):
        field.press("Enter")
    expect(field).to_be_hidden()
    assert state.get(owner, long_post.pk).tag_names == ["待读", "经济", "长文"]
    expect(my_tags(page).locator(".my-tag")).to_have_text(["#待读", "#经济", "#长文"])
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_view(page, f"reading-tags-{page.width}")

    page.reload()
    expect(my_tags(page).locator(".my-tag")).to_have_text(["#待读", "#经济", "#长文"])
    link = my_tags(page).get_by_role("link", name="#经济")
    expect(link).to_have_attribute("href", "/notes/?mytag=%E7%BB%8F%E6%B5%8E")

    # Esc leaves them as they were.
    edit.click()
    expect(field).to_have_value("待读, 经济, 长文")
    field.fill("别的")
    field.press("Escape")
    expect(field).to_be_hidden()
    expect(edit).to_be_focused()
    page.wait_for_timeout(300)
    assert state.get(owner, long_post.pk).tag_names == ["待读", "经济", "长文"]


@pytest.mark.parametrize("reader_page", WIDTHS, indirect=True)
def test_a_tag_over_the_limit_is_explained_and_nothing_changes(
    reader_page, long_post, owner, settings
):
    state.change(owner, long_post.pk, {"tags": ("已有",)})
    page = reader_page
    open_post(page, long_post)
    page.get_by_role("button", name="我的标签 My tags").click()
    field = page.get_by_role("textbox", name="我的标签，用逗号分开 My tags, comma-separated")
    limit = settings.PIZHU_MAX_TAG_CHARS
    with page.expect_response(lambda r: is_state_write(r) and r.status == 400):
        field.fill("已有, " + "长" * (limit + 1))
        field.press("Enter")
    alert = my_tags(page).get_by_role("alert")
    expect(alert).to_have_text(
        "标签没有保存 Tags not saved: "
        f"每个标签最多 {limit} 个字 A tag has at most {limit} characters."
    )
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    assert state.get(owner, long_post.pk).tag_names == ["已有"]
    expect(my_tags(page).locator(".my-tag")).to_have_text(["#已有"])
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


# --- A phone: the text starts on the first screen ---------------------------------------------

# The rows the tools take: a control that starts below the row so far starts a new one.
TOOL_ROWS = """() => {
  const boxes = [...document.querySelectorAll('.reader-tools :is(a, button)')]
    .filter((node) => node.checkVisibility())
    .map((node) => node.getBoundingClientRect())
    .sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 1) { rows++; bottom = box.bottom; }
    else bottom = Math.max(bottom, box.bottom);
  }
  return rows;
}"""


def test_on_a_phone_the_tools_take_two_rows_and_the_text_starts_on_the_first_screen(
    page, live_server, archive_dir, owner
):
    archive_dir.write(title="短标题", body=long_body(4), url="https://example.org/short-title")
    import_paths([archive_dir])
    post = Post.objects.get(url="https://example.org/short-title")
    state.change(owner, post.pk, {"tags": ("经济",)})
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, owner)
    open_post(page, post)
    expect(page.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")
    save_view(page, "reading-phone-top")
    assert page.evaluate(TOOL_ROWS) <= 2
    first = page.locator("[data-post-body] p").first
    assert first.bounding_box()["y"] + 40 < 740  # a line of it at least
    # Shorter labels on the screen, both languages in the names.
    for name in ("批注 Annotations (0)", "页面笔记 Page note", "标为已读 Mark as read",
                 "收藏 Favourite", "归档 Archive", "我的标签 My tags"):  # fmt: skip
        expect(page.get_by_role("button", name=name, exact=True).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
