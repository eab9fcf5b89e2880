// Going to an annotation's passage: jump there and flash it (the panel, links to
// #annotation-N, the ] and [ keys), and light it while its card or panel item is pointed at.

import { typing } from "../keys.js";
import { toast } from "./toast.js";

const LIT = "pz-lit";

function flash(nodes) {
  for (const node of nodes) {
    node.classList.remove("pz-flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("pz-flash");
  }
}

// Where an annotation shows: its marks; a page note's item in the page-notes block; an
// orphan's item in the orphans panel (opened for it).
function placeOf(reader, annotation) {
  if (annotation.state === "orphaned") {
    const item = reader.article.querySelector(`[data-orphan="${annotation.id}"]`);
    const panel = reader.article.querySelector("[data-orphans]");
    if (item && panel.hidden) reader.article.querySelector("[data-orphans-toggle]").click();
    return item ? [item] : [];
  }
  if (annotation.pageNote) {
    const item = reader.article.querySelector(`[data-page-note="${annotation.id}"]`);
    return item ? [item] : [];
  }
  return annotation.marks || [];
}

export function jumpTo(reader, annotation) {
  const nodes = placeOf(reader, annotation);
  if (!nodes.length) return false;
  nodes[0].scrollIntoView({ block: "center" });
  flash(nodes);
  reader.lastJumped = annotation;
  return true;
}

export function light(annotation, on) {
  for (const mark of annotation.marks || []) mark.classList.toggle(LIT, on);
}

// A card that lit its passage may be replaced under the pointer, and never hear mouseleave.
export function unlightAll(reader) {
  for (const mark of reader.body.querySelectorAll(`mark.${LIT}`)) mark.classList.remove(LIT);
}

// Hovering or focusing ``node`` (a margin card, a panel item) lights the annotation's marks.
export function lightOnPoint(node, annotation) {
  node.addEventListener("mouseenter", () => light(annotation, true));
  node.addEventListener("mouseleave", () => light(annotation, false));
  node.addEventListener("focusin", () => light(annotation, true));
  node.addEventListener("focusout", () => light(annotation, false));
}

// The painted annotations in reading order.
export function inReadingOrder(annotations) {
  return annotations
    .filter((a) => a.state === "anchored" && !a.pageNote && a.marks && a.marks.length)
    .sort((a, b) => a.start - b.start || a.end - b.end);
}

function onScreen(node) {
  const rect = node.getBoundingClientRect();
  return rect.bottom > 0 && rect.top < window.innerHeight;
}

// ] and [: the next (+1) or previous (-1) annotation, counted from the one last jumped to
// while it is still on screen, else from the top of the screen.
export function step(reader, direction) {
  const order = inReadingOrder(reader.store.values());
  const last = reader.lastJumped;
  const at = last ? order.indexOf(last) : -1;
  let index;
  if (at >= 0 && onScreen(last.marks[0])) index = at + direction;
  else if (direction > 0) index = order.findIndex((a) => a.marks[0].getBoundingClientRect().bottom > 0);
  else index = order.findLastIndex((a) => a.marks[0].getBoundingClientRect().bottom <= 0);
  if (index < 0 || index >= order.length) {
    toast(direction > 0 ? "后面没有批注了 No annotation further on." : "前面没有批注了 No annotation before this.");
    return;
  }
  jumpTo(reader, order[index]);
}

export function watchStepKeys(reader) {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "]" && event.key !== "[") return;
    if (typing(event) || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    step(reader, event.key === "]" ? 1 : -1);
  });
}
