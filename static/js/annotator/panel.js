// The 批注 Annotations panel: this post's annotations in the chosen layer (page notes first,
// then in reading order, orphans last), filtered by kind and colour; an item jumps to its
// passage and lights it while pointed at. Last, replies whose note was deleted, under a
// 已删除的批注 placeholder. A side panel on wide screens, a section under the tools on phones
// (site.css). Rendered from the store on every reader.refresh().

import { byline, DELETED_NOTE } from "./audience.js";
import { element } from "./dom.js";
import { COLOURS, KIND_NAMES } from "./labels.js";
import { PAGE_NOTE } from "./pagenotes.js";
import { inReadingOrder, jumpTo, lightOnPoint } from "./passages.js";
import { renderThread } from "./thread.js";

const PAGE = "page"; // the kind filter's value for page notes (a note with no passage)

function shorten(text, length) {
  const chars = Array.from(text.replace(/\s+/g, " ").trim());
  return chars.length > length ? `${chars.slice(0, length).join("")}…` : chars.join("");
}

// The note as plain text: its sanitized HTML parsed inert (a template runs and loads nothing).
function noteText(annotation) {
  const parsed = document.createElement("template");
  parsed.innerHTML = annotation.bodyHtml || "";
  return parsed.content.textContent;
}

function listed(reader) {
  const all = reader.store.values();
  const pageNotes = all.filter((a) => a.pageNote).sort((a, b) => a.id - b.id);
  const orphans = all.filter((a) => a.state === "orphaned").sort((a, b) => a.start - b.start);
  return [...pageNotes, ...inReadingOrder(all), ...orphans];
}

function matches(annotation, kind, colour) {
  const itsKind = annotation.pageNote ? PAGE : annotation.kind;
  return (!kind || itsKind === kind) && (!colour || annotation.colour === colour);
}

function item(reader, annotation) {
  const kindName = annotation.pageNote ? PAGE_NOTE : KIND_NAMES[annotation.kind];
  const meta = element("span", { class: "pz-card-meta" },
    element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
    element("span", { text: `${kindName} · ${annotation.colourName}` }),
  );
  meta.append(...byline(reader, annotation));
  if (annotation.hidden) meta.append(element("span", { class: "pz-hidden-tag", text: "已隐藏 Hidden" }));
  if (annotation.state === "orphaned") meta.append(element("span", { class: "orphaned", text: "未定位 Orphaned" }));
  const button = element("button", {
    type: "button", class: `panel-item${reader.mine(annotation) ? "" : " pz-theirs"}`,
    "data-panel-item": annotation.id, "data-colour": annotation.colour,
  }, meta);
  if (annotation.exact) button.append(element("span", { class: "panel-quote", text: `“${shorten(annotation.exact, 40)}”` }));
  const note = annotation.kind === "highlight" ? "" : shorten(noteText(annotation), 60);
  if (note) button.append(element("span", { class: "panel-note", text: note }));
  button.addEventListener("click", () => jumpTo(reader, annotation));
  lightOnPoint(button, annotation);
  return element("li", {}, button);
}

// Replies to a note that is gone, in this layer (they have their note's audience).
function looseThreads(reader) {
  return reader.store.looseThreads().filter((loose) => loose.replies.some(reader.store.shows));
}

function placeholder(reader, loose) {
  const thread = element("section", { class: "pz-thread", "aria-label": "回复 Replies" });
  renderThread(reader, thread, { loose });
  return element("li", {
    class: "pz-card panel-loose", "data-loose-thread": loose.parent ?? "",
    "data-reply-ids": loose.replies.map((r) => r.id).join(" "),
  }, element("p", { class: "pz-deleted-note", text: DELETED_NOTE }), thread);
}

export function renderPanel(reader) {
  const panel = reader.article.querySelector("[data-panel]");
  const kind = panel.querySelector("[data-panel-kind]").value;
  const colour = panel.querySelector("[data-panel-colour]").value;
  const all = listed(reader);
  const shown = all.filter((a) => matches(a, kind, colour));
  // The conversations left of deleted notes are notes, page-wide, in no colour.
  const loose = !colour && (!kind || kind === "note") ? looseThreads(reader) : [];
  reader.article.querySelector("[data-panel-count]").textContent = String(reader.store.count());
  panel.querySelector("[data-panel-list]").replaceChildren(
    ...shown.map((a) => item(reader, a)), ...loose.map((l) => placeholder(reader, l)));
  const empty = panel.querySelector("[data-panel-empty]");
  empty.hidden = shown.length + loose.length > 0;
  // Empty because of the filters, of the layer (the tools say how many it leaves out), or
  // because there is nothing yet.
  if (reader.store.count()) empty.textContent = "没有符合筛选的批注。No annotation matches these filters.";
  else if (reader.store.count(() => true)) empty.textContent = "这个图层里没有批注。No annotation in this layer.";
  else empty.textContent = "还没有批注：选中文字即可划线或写笔记。No annotations yet: select some text to start.";
}

// The toggle, the close button and the filters; returns what the Escape key needs.
export function watchPanel(reader) {
  const panel = reader.article.querySelector("[data-panel]");
  const toggle = reader.article.querySelector("[data-panel-toggle]");
  const kinds = panel.querySelector("[data-panel-kind]");
  for (const [value, label] of [...Object.entries(KIND_NAMES), [PAGE, PAGE_NOTE]]) {
    kinds.append(element("option", { value, text: label }));
  }
  const colours = panel.querySelector("[data-panel-colour]");
  for (const [value, label] of COLOURS) colours.append(element("option", { value, text: label }));
  for (const filter of [kinds, colours]) filter.addEventListener("change", () => renderPanel(reader));

  function show(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) panel.focus();
  }
  function close() {
    show(false);
    toggle.focus();
  }
  toggle.addEventListener("click", () => show(panel.hidden));
  panel.querySelector("[data-panel-close]").addEventListener("click", close);
  return { open: () => show(true), close, isOpen: () => !panel.hidden };
}
