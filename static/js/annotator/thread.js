// Replies: the conversation under a note (in its dialog) or under a 已删除的批注 placeholder
// (in the panel, when the note is gone but others' words stay). Replies are shown one level
// deep, oldest first; a reply to a reply says whom it answers. Mine can be edited and
// deleted (with undo); others' flagged; a moderator hides them. A reply is a W3C annotation
// with motivation "replying" whose target is the IRI of what it answers (api.replyJsonLd).

import { api, ApiError, fromJsonLd } from "./api.js";
import { hiddenNotice } from "./audience.js";
import { element } from "./dom.js";
import { moderationButtons } from "./moderation.js";
import { toast } from "./toast.js";

const drafts = new Map(); // note id → a reply being written, kept across redraws

// 2024-01-02 03:04 in the reader's time zone.
function stamp(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const two = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
}

function body(reply) {
  const content = element("div", { class: "pz-card-body" });
  if (reply.language) content.lang = reply.language;
  content.innerHTML = reply.bodyHtml; // rendered and sanitized by the server (nh3)
  return content;
}

function editForm(reader, reply, redraw) {
  const text = element("textarea", { name: "body", rows: "3", "aria-label": "编辑回复 Edit the reply (Markdown)" });
  text.value = reply.body;
  const error = element("p", { class: "pz-error", role: "alert" });
  const save = element("button", { type: "submit", text: "保存 Save" });
  const cancel = element("button", { type: "button", text: "取消 Cancel" });
  const form = element("form", { class: "pz-reply-edit" }, text, error, element("div", { class: "pz-actions" }, save, cancel));
  cancel.addEventListener("click", redraw);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      error.textContent = "回复不能是空的。A reply cannot be empty.";
      return;
    }
    const note = { type: "TextualBody", value: text.value, format: "text/markdown", purpose: "replying" };
    try {
      const saved = fromJsonLd(await api.update(reply.url, { body: [note] }, reply.etag));
      reader.store.forget(reply);
      reader.store.add(saved);
    } catch (failure) {
      error.textContent = failure instanceof ApiError && failure.status === 412
        ? "这条回复已在别处修改，请刷新页面。It was changed elsewhere: reload to see it."
        : failure.message;
      return;
    }
    redraw();
    reader.refresh();
  });
  return form;
}

async function removeReply(reader, reply, redraw) {
  try {
    await api.remove(reply.url, reply.etag);
  } catch (error) {
    toast(error.message);
    return;
  }
  reader.store.forget(reply);
  redraw();
  reader.refresh();
  toast("回复已删除 Reply deleted.", {
    label: "撤销 Undo",
    run: async () => {
      try {
        reader.store.add(fromJsonLd(await api.restore(reply.url)));
        redraw();
        reader.refresh();
      } catch (error) {
        toast(error.message);
      }
    },
  });
}

function replyItem(reader, reply, { redraw, answer, nested }) {
  const mine = reader.mine(reply);
  const meta = element("div", { class: "pz-card-meta" },
    element("span", { class: "pz-by", text: mine ? "我 Me" : `@${reply.creator}` }),
    element("time", { datetime: reply.created, text: stamp(reply.created) }),
  );
  if (nested) {
    const parent = reader.store.replies.get(reply.parent);
    if (parent) meta.append(element("span", { class: "pz-answers", text: `回复 @${parent.creator} replying to @${parent.creator}` }));
  }
  const item = element("li", {
    class: `pz-reply${nested ? " pz-reply-nested" : ""}${mine ? "" : " pz-theirs"}`,
    "data-reply": reply.id,
    "aria-label": `${mine ? "我的回复 My reply" : `@${reply.creator} 的回复 Reply by ${reply.creator}`}`,
  }, meta);
  const notice = hiddenNotice(reader, reply);
  if (notice) item.append(notice);
  item.append(body(reply));
  const actions = element("div", { class: "pz-actions pz-reply-actions" });
  if (answer && !reply.hidden) {
    const again = element("button", { type: "button", "data-answer": reply.id, text: "回复 Reply" });
    again.addEventListener("click", () => answer(reply));
    actions.append(again);
  }
  if (mine) {
    const edit = element("button", { type: "button", "data-edit-reply": reply.id, text: "编辑 Edit" });
    edit.addEventListener("click", () => {
      const form = editForm(reader, reply, redraw);
      item.querySelector(".pz-card-body").replaceWith(form);
      actions.hidden = true;
      form.querySelector("textarea").focus();
    });
    const remove = element("button", { type: "button", "data-delete-reply": reply.id, text: "删除 Delete" });
    remove.addEventListener("click", () => removeReply(reader, reply, redraw));
    actions.append(edit, remove);
  }
  actions.append(...moderationButtons(reader, reply, redraw));
  if (actions.childElementCount) item.append(actions);
  return item;
}

// The reply box: to the note, or to one of its replies once 回复 Reply was pressed on it.
function replyForm(reader, root, redraw) {
  let target = root;
  const label = element("span", { class: "pz-replying-to", hidden: true });
  const back = element("button", { type: "button", class: "pz-replying-back", hidden: true, "aria-label": "改为回复批注 Reply to the note instead", text: "×" });
  const text = element("textarea", { name: "reply", rows: "2", "aria-label": "写回复 Write a reply (Markdown)", placeholder: "写回复… Write a reply…" });
  text.value = drafts.get(root.id) || "";
  text.addEventListener("input", () => drafts.set(root.id, text.value));
  const error = element("p", { class: "pz-error", role: "alert" });
  const send = element("button", { type: "submit", text: "发送回复 Send reply" });
  const form = element("form", { class: "pz-reply-form", "data-reply-form": root.id },
    element("div", { class: "pz-replying" }, label, back), text, error, element("div", { class: "pz-actions" }, send));
  function answer(reply) {
    target = reply || root;
    label.textContent = reply ? `回复 @${reply.creator} Replying to @${reply.creator}` : "";
    label.hidden = back.hidden = !reply;
    text.focus();
  }
  back.addEventListener("click", () => answer(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      error.textContent = "请先写下回复。Write your reply first.";
      text.focus();
      return;
    }
    send.disabled = true;
    try {
      reader.store.add(fromJsonLd(await api.reply(reader.apiBase, target.url, text.value)));
    } catch (failure) {
      send.disabled = false;
      error.textContent = failure.message;
      return;
    }
    drafts.delete(root.id);
    redraw({ focusReply: true });
    reader.refresh();
  });
  return { form, answer };
}

// Fill ``host`` with the conversation under ``root`` (a note of the store), or for a
// placeholder (no root) the ``loose`` group of store.looseThreads(). Every change redraws it.
export function renderThread(reader, host, { root = null, loose = null } = {}) {
  const redraw = ({ focusReply = false } = {}) => {
    const still = loose && { ...loose, replies: loose.replies.filter((r) => reader.store.replies.has(r.id)) };
    renderThread(reader, host, { root, loose: still });
    if (focusReply) host.querySelector("[data-reply-form] textarea")?.focus();
  };
  const thread = root ? reader.store.thread(root.id) : loose.replies;
  const topIds = new Set(root ? reader.store.repliesTo(root.id).map((r) => r.id) : loose.tops.map((r) => r.id));
  const reply = root && !root.hidden ? replyForm(reader, root, redraw) : null;
  const heading = element("h3", { class: "pz-thread-title", text: `回复 Replies (${thread.length})` });
  const list = element("ol", { class: "pz-thread-list" });
  for (const item of thread) {
    list.append(replyItem(reader, item, { redraw, answer: reply && reply.answer, nested: !topIds.has(item.id) }));
  }
  host.replaceChildren(heading);
  if (thread.length) host.append(list);
  if (reply) host.append(reply.form);
}
