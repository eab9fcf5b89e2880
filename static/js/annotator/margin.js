// Notes and translations as cards: in the margin beside their passage on wide screens,
// under their paragraph on phones (and for interlinear translations). Page notes have no
// passage and no marks: they are listed in their own block (pagenotes.js), never here.

import { byline, classesOf, hiddenNotice } from "./audience.js";
import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";
import { lightOnPoint } from "./passages.js";
import { UI_ATTR } from "./textmap.js";

const BLOCKS = "p, li, blockquote, h1, h2, h3, h4, h5, h6, pre, figure, dd, dt";

function card(reader, annotation) {
  const meta = element("div", { class: "pz-card-meta" },
    element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
    element("span", { text: `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}` }),
  );
  if (annotation.language) meta.append(element("span", { class: "pz-lang", text: annotation.language }));
  meta.append(...byline(reader, annotation));
  for (const tag of annotation.tags) meta.append(element("span", { class: "pz-tag", text: `#${tag}` }));
  const content = element("div", { class: "pz-card-body" });
  if (annotation.language) content.lang = annotation.language;
  content.innerHTML = annotation.bodyHtml; // rendered and sanitized by the server (nh3)
  const node = element("div", {
    class: ["pz-card", `pz-${annotation.kind}`, ...classesOf(reader, annotation)].join(" "),
    [UI_ATTR]: true,
    "data-card": annotation.id,
    "data-colour": annotation.colour,
  }, meta);
  const notice = hiddenNotice(reader, annotation);
  if (notice) node.append(notice);
  node.append(content);
  node.addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    reader.edit(annotation, node);
  });
  lightOnPoint(node, annotation); // which passage is this card's? pointing at it shows it
  return node;
}

// The block a card goes after: the passage's paragraph (or list item, heading...), but a
// whole table, never a row or cell.
function blockAfter(body, mark) {
  const block = mark.closest("table") || mark.closest(BLOCKS) || mark.closest("div");
  return block && block !== body && body.contains(block) ? block : null;
}

export function layoutCards(reader) {
  const { body, margin } = reader;
  for (const old of document.querySelectorAll("[data-card]")) old.remove();
  const wide = !reader.phone.matches;
  const sideCards = [];
  const lastCardAfter = new Map(); // block → the card last put after it: cards keep reading order
  const sorted = reader.store.values().filter((a) => a.state === "anchored" && a.marks && a.marks.length);
  sorted.sort((a, b) => a.start - b.start || a.end - b.end);
  for (const annotation of sorted) {
    // A bare highlight has no card, unless it is talked about (its replies' count shows).
    if (annotation.kind === "highlight" && !annotation.body && !reader.store.thread(annotation.id).length) continue;
    const node = card(reader, annotation);
    const inline = !wide || (annotation.kind === "translation" && reader.translationMode === "interlinear");
    const lastMark = annotation.marks[annotation.marks.length - 1];
    const block = inline ? blockAfter(body, lastMark) : null;
    if (block) {
      node.classList.add("pz-inline");
      (lastCardAfter.get(block) || block).after(node);
      lastCardAfter.set(block, node);
    } else if (wide) {
      margin.append(node);
      sideCards.push([annotation, node]);
    } else {
      body.append(node);
    }
  }
  // Margin cards sit beside their passage, pushed down where they would overlap.
  const top = margin.getBoundingClientRect().top;
  let floor = 0;
  for (const [annotation, node] of sideCards) {
    const want = annotation.marks[0].getBoundingClientRect().top - top;
    const at = Math.max(want, floor);
    node.style.top = `${at}px`;
    floor = at + node.offsetHeight + 8;
  }
  margin.style.minHeight = `${floor}px`;
}
