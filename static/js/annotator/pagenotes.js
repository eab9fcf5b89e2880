// Page notes: notes on the whole article (no passage), listed in the 页面笔记 block under the
// post's header and edited in the same editor as every other note.

import { byline, classesOf, hiddenNotice } from "./audience.js";
import { element } from "./dom.js";

export const PAGE_NOTE = "页面笔记 Page note";

export function renderPageNotes(reader) {
  const block = reader.article.querySelector("[data-page-notes]");
  const list = block.querySelector("[data-page-note-list]");
  const notes = reader.store.values().filter((a) => a.pageNote).sort((a, b) => a.id - b.id);
  list.replaceChildren();
  block.hidden = notes.length === 0;
  for (const note of notes) {
    const meta = element("div", { class: "pz-card-meta" },
      element("span", { class: "pz-swatch", "data-colour": note.colour, "aria-hidden": "true" }),
      element("span", { text: `${PAGE_NOTE} · ${note.colourName}` }),
    );
    meta.append(...byline(reader, note));
    for (const tag of note.tags) meta.append(element("span", { class: "pz-tag", text: `#${tag}` }));
    const content = element("div", { class: "pz-card-body" });
    if (note.language) content.lang = note.language;
    content.innerHTML = note.bodyHtml; // rendered and sanitized by the server (nh3)
    // The whole card opens the editor, like a margin card; the button is its keyboard way in.
    meta.append(element("button", {
      type: "button", class: "page-note-open", text: reader.mine(note) ? "编辑 Edit" : "查看 View",
    }));
    const item = element("li", {
      class: ["pz-card", "page-note", ...classesOf(reader, note)].join(" "), "data-page-note": note.id, "data-colour": note.colour,
    }, meta);
    const notice = hiddenNotice(reader, note);
    if (notice) item.append(notice);
    item.append(content);
    item.addEventListener("click", (event) => {
      if (!event.target.closest("a")) reader.edit(note, item);
    });
    list.append(item);
  }
}

// The 页面笔记 Page note button: the editor, for a new note on the whole article.
export function watchPageNoteButton(reader) {
  const button = reader.article.querySelector("[data-page-note-new]");
  button.addEventListener("click", () => {
    reader.edit({ pageNote: true, kind: "note", exact: "", colour: reader.lastColour }, button);
  });
}
