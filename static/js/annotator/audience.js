// Whose an annotation is and who sees it, said the same way on marks, cards, the panel and
// the dialog: mine are filled with their colour, others' underlined and signed @author;
// a hidden one carries a notice for the two who still see it (its author, the moderators).

import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";

// Deleted, hidden by a moderator, or made private: the list cannot tell which, nor need it.
export const DELETED_NOTE = "原批注已删除或不再可见 The note replied to was deleted or is no longer shown";
const MODERATING = new Set(["owner", "moderator"]);

export function audienceLabel(annotation) {
  if (annotation.visibility === "group") return `小组: ${annotation.groupName || annotation.group}`;
  if (annotation.visibility === "everyone") return "所有人 Everyone";
  return "只有我 Only me";
}

// Whether ``user`` (the reader) moderates this annotation: the owners and moderators of its
// group; for notes to everyone, the instance's staff (annotations/access.py decides anyway).
export function moderates(reader, annotation) {
  if (annotation.visibility === "group") return MODERATING.has(reader.roleIn(annotation.group));
  return annotation.visibility === "everyone" && reader.staff;
}

// What a screen reader hears for a mark: kind, colour, whose, who sees it.
export function describe(reader, annotation) {
  const parts = [KIND_NAMES[annotation.kind], annotation.colourName];
  parts.push(reader.mine(annotation) ? "我的 mine" : `@${annotation.creator} 的 by ${annotation.creator}`);
  if (annotation.visibility !== "private") parts.push(audienceLabel(annotation));
  if (annotation.hidden) parts.push("已隐藏 hidden");
  return parts.join(" · ");
}

export function classesOf(reader, annotation) {
  const classes = [];
  if (!reader.mine(annotation)) classes.push("pz-theirs");
  if (annotation.hidden) classes.push("pz-hidden-note");
  return classes;
}

// The chips a card's meta line adds after kind and colour: the author (others'), who sees
// it (mine, when not only me), the reply count.
export function byline(reader, annotation, { replies = true } = {}) {
  const chips = [];
  if (!reader.mine(annotation)) {
    chips.push(element("span", { class: "pz-by", text: `@${annotation.creator}` }));
  }
  if (annotation.visibility !== "private") {
    chips.push(element("span", { class: "pz-audience", "data-audience": annotation.visibility, text: audienceLabel(annotation) }));
  }
  const count = replies ? reader.store.thread(annotation.id).length : 0;
  if (count) {
    chips.push(element("span", {
      class: "pz-reply-count", "data-reply-count": count, text: `${count} 条回复 ${count === 1 ? "reply" : "replies"}`,
    }));
  }
  return chips;
}

// The notice on a hidden annotation, or null.
export function hiddenNotice(reader, annotation) {
  if (!annotation.hidden) return null;
  const text = reader.mine(annotation)
    ? "已被管理员隐藏 Hidden by a moderator"
    : "已隐藏，其他人看不到 Hidden: others no longer see it";
  return element("p", { class: "pz-hidden-notice", role: "note", "data-hidden-notice": true, text });
}
