// The reader's place in a post. For everyone: a reading-progress bar, the time left, a
// 目录 Contents of the headings and a way back to the top (the dock, reading/dock.js). For a
// signed-in reader also their reading state (library/api.py): where they were, resumed on
// the next visit and saved as they read (on leaving too, with sendBeacon); read (reaching the
// end, m, a button), favourite (f), archived and their own tags, with the same buttons in the
// tools and at the end of the post. ? lists every key of the page.

import { element } from "./annotator/dom.js";
import { toast, toastBox } from "./annotator/toast.js";
import { readingState } from "./reading/api.js";
import { buildContents } from "./reading/contents.js";
import { fleeting, watchBackToTop } from "./reading/dock.js";
import { endInSight, firstVisiblePosition, progressThrough, scrollToPosition } from "./reading/position.js";
import { createTagEditor } from "./reading/tags.js";
import { typing } from "./keys.js";

const SAVE_AFTER_MS = 1000;
// Annotations, images and fonts arrive after the resumed line was put at the top and push it
// down: it is put back until the reader does something, or for this long.
const KEEP_RESUMED_MS = 4000;
// The notes of the dock cover a little of the page: only for a moment.
const RESUMED_NOTICE_MS = 5000;
const TIME_LEFT_MS = 1500;

// Each button's label when its field is off and on; the English half folds away on a phone
// (site.css .en) and stays in the button's name.
const LABELS = {
  read: [["标为已读", "Mark as read"], ["标为未读", "Mark as unread"]],
  favourite: [["收藏", "Favourite"], ["已收藏", "Favourited"]],
  archived: [["归档", "Archive"], ["已归档", "Archived"]],
};
const AT_THE_END = ["还没标为已读 Not marked as read yet.", "✓ 读完了 Finished."];
const DONE = {
  read: ["已标为已读 Marked as read.", "已标为未读 Marked as unread."],
  favourite: ["已收藏 Added to favourites.", "已取消收藏 Removed from favourites."],
  archived: ["已归档：列表里不再显示 Archived: kept, but out of the lists.", "已取消归档 Back in the lists."],
};

// Keys that scroll the page, and a press on the scrollbar (beside the page's content box).
const SCROLL_KEYS = new Set(["ArrowDown", "ArrowUp", "PageDown", "PageUp", "Home", "End", " "]);

function scrollsByHand(event) {
  if (event.type === "keydown") return SCROLL_KEYS.has(event.key) && !typing(event);
  if (event.type === "pointerdown") return event.clientX >= document.documentElement.clientWidth;
  return event.type !== "touchstart"; // a wheel, a finger moving; a tap scrolls nothing
}

function say(message, action) {
  if (!toastBox.isConnected) document.body.append(toastBox); // the annotator may not have
  toast(message, action);
}

function watchProgress(postBody) {
  const bar = document.querySelector("[data-progress-bar]");
  const fill = bar.querySelector("[data-progress-fill]");
  const timeLeftNode = document.querySelector("[data-time-left]");
  const timeLeft = fleeting(timeLeftNode);
  const minutes = Number(document.querySelector("[data-reading-minutes]")?.dataset.readingMinutes || 0);
  let frame = 0;
  let scrolled = false;
  const update = () => {
    frame = 0;
    const progress = progressThrough(postBody);
    const percent = Math.round(progress * 100);
    fill.style.transform = `scaleX(${progress})`;
    bar.setAttribute("aria-valuenow", String(percent));
    const left = Math.ceil(minutes * (1 - progress));
    const leftText = `还剩 ${left} 分钟 · ${left} min left`;
    bar.setAttribute("aria-valuetext", minutes && left ? `${percent}% · ${leftText}` : `${percent}%`);
    timeLeftNode.textContent = leftText;
    // While scrolling only; not at the top, where the header says how long the whole post
    // is, nor at the end.
    if (!minutes || !left || progress === 0) timeLeft.hide();
    else if (scrolled) timeLeft.show(TIME_LEFT_MS);
    scrolled = false;
  };
  const later = () => { if (!frame) frame = requestAnimationFrame(update); };
  addEventListener("scroll", () => { scrolled = true; later(); }, { passive: true });
  addEventListener("resize", later);
  bar.hidden = false;
  update();
}

function startReadingState(postBody, tools) {
  const url = tools.dataset.stateApi;
  const buttons = [...document.querySelectorAll("[data-reading-toggle]")]; // the tools', the end's
  const end = document.querySelector("[data-post-end]");
  const notice = fleeting(document.querySelector("[data-resumed]"));
  let state = null; // as the server last told it
  let sentPosition = null; // the place last sent: only a new place is sent again
  let saveTimer = 0;
  let failedToSave = false;
  let ownScrollY = window.scrollY; // where this script last scrolled to; any other place is the reader's
  let readerActed = false;
  let autoRead = true; // reaching the end marks the post read once, and never after an unread by hand
  let resumedAt = null;
  let stopKeeping = () => {};
  const busy = new Set();

  // The page comes back where the reader was from their state, not from the browser's memory.
  history.scrollRestoration = "manual";

  const here = () => ({
    progress: Math.max(state.progress, Math.round(progressThrough(postBody) * 1000) / 1000),
    position: firstVisiblePosition(postBody),
  });
  // The place is what counts: at another width the same place is another share of the page,
  // and opening the post there is no reason to write.
  const unchanged = (now) => now.position === sentPosition;

  function take(changed) {
    state = changed;
    for (const button of buttons) {
      const field = button.dataset.readingToggle;
      const [chinese, english] = LABELS[field][Number(state[field])];
      button.replaceChildren(chinese, element("span", { class: "en", text: ` ${english}` }));
      if (button.hasAttribute("aria-pressed")) button.setAttribute("aria-pressed", String(state[field]));
    }
    end.querySelector("[data-post-end-status]").textContent = AT_THE_END[Number(state.read)];
    end.classList.toggle("is-read", state.read);
    tags.show(state.tags);
    tools.hidden = false;
    end.hidden = false;
  }

  const tags = createTagEditor(document.querySelector("[data-reader-tags]"), async (names) => {
    take(await readingState.change(url, { tags: names }));
  });

  async function save() {
    clearTimeout(saveTimer);
    const now = here();
    if (unchanged(now)) return;
    const before = sentPosition;
    sentPosition = now.position;
    try {
      const saved = await readingState.change(url, now);
      state = { ...state, progress: saved.progress, position: saved.position };
    } catch (error) {
      sentPosition = before;
      if (!failedToSave) say(`阅读位置没有保存 Your place was not saved: ${error.message}`);
      failedToSave = true;
    }
  }

  function saveAsTheyLeave() {
    clearTimeout(saveTimer);
    if (!state) return;
    const now = here();
    if (!unchanged(now) && readingState.changeAsTheyLeave(url, now)) sentPosition = now.position;
  }

  async function toggle(field, { quiet = false } = {}) {
    if (!state || busy.has(field)) return;
    const value = !state[field];
    const changes = { [field]: value };
    // Read: finished. Unread by hand: only as far as the reader is now.
    if (field === "read") changes.progress = value ? 1 : Math.round(progressThrough(postBody) * 1000) / 1000;
    busy.add(field);
    try {
      take(await readingState.change(url, changes));
      if (field === "read") autoRead = false;
      if (!quiet) say(DONE[field][Number(!value)]);
    } catch (error) {
      say(`没有保存 Not saved: ${error.message}`);
    } finally {
      busy.delete(field);
    }
  }

  function resume(position) {
    ownScrollY = resumedAt = scrollToPosition(postBody, position);
    notice.show(RESUMED_NOTICE_MS);
    const keeper = new ResizeObserver(() => { ownScrollY = scrollToPosition(postBody, position); });
    keeper.observe(document.body);
    const timer = setTimeout(() => stopKeeping(), KEEP_RESUMED_MS);
    stopKeeping = () => {
      keeper.disconnect();
      clearTimeout(timer);
      stopKeeping = () => {};
    };
  }

  function onScroll() {
    const byReader = readerActed && Math.abs(window.scrollY - ownScrollY) > 2;
    // The notice has said it once the reader reads on.
    if (byReader && resumedAt !== null && Math.abs(window.scrollY - resumedAt) > innerHeight / 2) notice.hide();
    if (!state) return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, SAVE_AFTER_MS);
    if (byReader && autoRead && !state.read && endInSight(postBody)) {
      autoRead = false;
      toggle("read", { quiet: true }).then(() => {
        if (state.read) say("读完了，已标为已读 Finished: marked as read.", { label: "撤销 Undo", run: () => toggle("read") });
      });
    }
  }

  async function load() {
    try {
      take(await readingState.get(url));
    } catch (error) {
      say(`阅读状态加载失败 Could not load your reading state: ${error.message}`);
      return;
    }
    sentPosition = state.position;
    // A link to a passage (#annotation-3) or a heading wins. A post read to the end opens at
    // the top, unless the reader only reloaded it or came back to it.
    const navigation = performance.getEntriesByType("navigation")[0];
    const returning = navigation && ["reload", "back_forward"].includes(navigation.type);
    if (location.hash || readerActed || state.position === 0 || (state.read && !returning)) return;
    resume(state.position);
  }

  // Any touch of the page ends the keeping of the resumed line; only scrolling by hand makes
  // the scrolls that follow the reader's. A scroll after a click or another key is the page's
  // own (a card's editor, a jump to an annotation or a heading): it reaches the end, the reader
  // has not read there.
  for (const type of ["wheel", "touchstart", "touchmove", "keydown", "pointerdown"]) {
    addEventListener(type, (event) => {
      stopKeeping();
      if (scrollsByHand(event)) readerActed = true;
    }, { capture: true, passive: true });
  }
  addEventListener("scroll", onScroll, { passive: true });
  addEventListener("pagehide", saveAsTheyLeave);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveAsTheyLeave();
  });
  for (const button of buttons) button.addEventListener("click", () => toggle(button.dataset.readingToggle));
  document.querySelector("[data-back-to-top]").addEventListener("click", () => {
    stopKeeping();
    notice.hide();
    ownScrollY = 0; // reading/dock.js scrolls there
  });
  load();
  return { toggle };
}

function watchKeys(library) {
  const dialog = document.querySelector("[data-keys-dialog]");
  const open = () => { if (!dialog.open) dialog.showModal(); };
  for (const button of document.querySelectorAll("[data-keys-open]")) button.addEventListener("click", open);
  dialog.querySelector("[data-keys-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    if (event.key === "?") {
      event.preventDefault();
      open();
      return;
    }
    const field = { m: "read", f: "favourite" }[event.key];
    if (field && library && !dialog.open) {
      event.preventDefault();
      library.toggle(field);
    }
  });
}

const postBody = document.querySelector("[data-post] [data-post-body]");
if (postBody) {
  watchProgress(postBody);
  watchBackToTop(document.querySelector("[data-back-to-top]"));
  buildContents(postBody, document.querySelector("[data-toc]"), document.querySelector("[data-toc-dialog]"),
    document.querySelector("[data-toc-open]"));
  const tools = document.querySelector("[data-reading-state]");
  watchKeys(tools ? startReadingState(postBody, tools) : null);
}
