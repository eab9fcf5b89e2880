// Moderation from the reader: 举报 Flag someone else's note to its group's moderators (a
// reason is optional), and, for the moderators of its group, 隐藏 Hide / 取消隐藏 Unhide. The
// server decides (annotations/access.py); these buttons only show where it would agree.

import { api, fromJsonLd } from "./api.js";
import { moderates } from "./audience.js";
import { element } from "./dom.js";
import { toast } from "./toast.js";

// What I flagged on this page, by id: reopened, a note says 已举报 Flagged instead of
// offering the form again. Kept apart from the store, which a reload() refills. (The server
// takes a second flag as a new reason; the API does not say whose flags a note has.)
const flagged = new Set();

// Others' notes that more than their author sees may be flagged (not a hidden one: its
// moderators already acted on it).
function mayFlag(reader, annotation) {
  return !reader.mine(annotation) && annotation.visibility !== "private" && !annotation.hidden;
}

function flagForm(reader, annotation, button) {
  const reason = element("input", {
    name: "reason", maxlength: "500", "aria-label": "举报理由（可不填）Reason (optional)",
    placeholder: "理由（可不填）reason (optional)",
  });
  const send = element("button", { type: "submit", text: "发送举报 Send flag" });
  const cancel = element("button", { type: "button", text: "取消 Cancel" });
  const form = element("form", { class: "pz-flag-form", "data-flag-form": annotation.id }, reason, send, cancel);
  cancel.addEventListener("click", () => { form.remove(); button.hidden = false; button.focus(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    try {
      await api.flag(annotation.url, reason.value.trim());
    } catch (error) {
      send.disabled = false;
      toast(error.message);
      return;
    }
    flagged.add(annotation.id);
    form.replaceWith(element("span", { class: "pz-flagged", role: "status", text: "已举报 Flagged: the moderators will see it." }));
  });
  return form;
}

async function setHidden(reader, annotation, hidden, after) {
  try {
    const data = hidden ? await api.hide(annotation.url) : await api.unhide(annotation.url);
    const fresh = data && data.id ? fromJsonLd(data) : null;
    annotation.hidden = fresh ? fresh.hidden : hidden;
    if (fresh) annotation.etag = fresh.etag;
  } catch (error) {
    toast(error.message);
    return;
  }
  reader.store.repaint(); // the mark's look and label say it is hidden
  reader.refresh();
  toast(hidden ? "已隐藏：成员看不到了。Hidden: members no longer see it." : "已取消隐藏。Shown again.");
  after();
}

// The buttons for ``annotation`` (a note or a reply); ``after`` redraws what shows them.
export function moderationButtons(reader, annotation, after) {
  const buttons = [];
  if (mayFlag(reader, annotation) && flagged.has(annotation.id)) {
    buttons.push(element("button", { type: "button", "data-flagged": annotation.id, disabled: true, text: "已举报 Flagged" }));
  } else if (mayFlag(reader, annotation)) {
    const flag = element("button", { type: "button", "data-flag": annotation.id, text: "举报 Flag" });
    flag.addEventListener("click", () => {
      flag.hidden = true;
      const form = flagForm(reader, annotation, flag);
      flag.after(form);
      form.querySelector("input").focus();
    });
    buttons.push(flag);
  }
  // Not on my own: I can edit or delete what I wrote.
  if (moderates(reader, annotation) && !reader.mine(annotation)) {
    const hide = element("button", {
      type: "button", "data-moderate": annotation.hidden ? "unhide" : "hide",
      text: annotation.hidden ? "取消隐藏 Unhide" : "隐藏 Hide",
    });
    hide.addEventListener("click", () => setHidden(reader, annotation, !annotation.hidden, after));
    buttons.push(hide);
  }
  return buttons;
}
