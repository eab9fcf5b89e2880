// The selection toolbar: a highlight in each colour of the palette, a note, a translation.
// It reports what is selected as code point positions over the body's text (TextMap).

import { api, fromJsonLd, toJsonLd } from "./api.js";
import { element } from "./dom.js";
import { COLOURS, KIND_NAMES } from "./labels.js";
import { TextMap } from "./textmap.js";
import { toast } from "./toast.js";

export function createToolbar(reader, { openEditor, editorElement }) {
  const { body } = reader;
  const toolbar = element("div", {
    class: "pz-toolbar",
    role: "toolbar",
    "aria-label": "批注所选文字 Annotate the selection",
    hidden: true,
  });

  function readSelection() {
    const current = getSelection();
    if (!current || current.isCollapsed || !current.rangeCount) return null;
    const range = current.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return null;
    const map = new TextMap(body);
    const positions = map.rangePositions(range);
    if (!positions) return null;
    const chars = Array.from(map.text());
    const exact = chars.slice(positions.start, positions.end).join("");
    if (!exact.trim()) return null;
    return { ...positions, exact, rect: range.getBoundingClientRect() };
  }

  function update() {
    const found = readSelection();
    if (found) reader.selection = found;
    else if (!editorElement.contains(document.activeElement)) reader.selection = null;
    if (!found) {
      toolbar.hidden = true;
      return;
    }
    toolbar.hidden = false;
    const left = Math.min(
      Math.max(8, found.rect.left + window.scrollX),
      window.scrollX + document.documentElement.clientWidth - toolbar.offsetWidth - 8,
    );
    toolbar.style.left = `${left}px`;
    toolbar.style.top = `${found.rect.bottom + window.scrollY + 8}px`;
  }

  function clear() {
    reader.selection = null;
    getSelection().removeAllRanges();
    toolbar.hidden = true;
  }

  async function highlight(colour) {
    if (!reader.selection) return;
    reader.lastColour = colour;
    const chosen = reader.selection;
    clear();
    try {
      const created = fromJsonLd(
        await api.create(reader.apiBase, toJsonLd({ ...chosen, kind: "highlight", colour }, reader.postId)),
      );
      reader.store.add(created);
      reader.refresh();
      reader.reveal(created);
    } catch (error) {
      toast(error.message);
    }
  }

  function startDraft(kind) {
    if (!reader.selection) return;
    const draft = { ...reader.selection, kind, colour: reader.lastColour };
    toolbar.hidden = true;
    openEditor(draft, null);
  }

  for (const [colour, name] of COLOURS) {
    const button = element("button", {
      type: "button",
      class: "pz-swatch-button",
      "data-colour": colour,
      "aria-label": `${KIND_NAMES.highlight}: ${name}`,
      title: `${KIND_NAMES.highlight} (h): ${name}`,
    });
    button.addEventListener("click", () => highlight(colour));
    toolbar.append(button);
  }
  for (const [kind, label, key] of [["note", KIND_NAMES.note, "n"], ["translation", "翻译 Translate", "t"]]) {
    const button = element("button", { type: "button", "data-action": kind, title: `${label} (${key})`, text: label });
    button.addEventListener("click", () => startDraft(kind));
    toolbar.append(button);
  }

  return { element: toolbar, readSelection, update, clear, highlight, startDraft };
}
