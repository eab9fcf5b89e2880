// Where highlights overlap, a click could mean any of them: a short menu names each one
// (kind, colour, the start of its quote, whose it is) and opens the one chosen.

import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";

export function createChooser(reader, { openEditor }) {
  const menu = element("div", { class: "pz-chooser", role: "menu", "aria-label": "选择批注 Choose an annotation", hidden: true });

  function close() {
    menu.hidden = true;
    menu.replaceChildren();
  }

  function open(annotations, event) {
    menu.replaceChildren();
    for (const annotation of annotations) {
      const quote = annotation.exact.length > 24 ? `${annotation.exact.slice(0, 24)}…` : annotation.exact;
      const by = reader.mine(annotation) ? "" : ` · @${annotation.creator}`;
      const hidden = annotation.hidden ? " · 已隐藏 hidden" : "";
      const item = element("button", {
        type: "button", role: "menuitem", class: "pz-choice", "data-choice": annotation.id,
        "data-colour": annotation.colour,
      },
      element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
      ` ${KIND_NAMES[annotation.kind]} · ${annotation.colourName}${by}${hidden} · “${quote}”`);
      item.addEventListener("click", () => {
        close();
        openEditor(annotation, annotation.marks && annotation.marks[0]);
      });
      menu.append(item);
    }
    menu.hidden = false;
    const left = Math.min(event.pageX, window.scrollX + document.documentElement.clientWidth - menu.offsetWidth - 8);
    menu.style.left = `${Math.max(8, left)}px`;
    menu.style.top = `${event.pageY + 12}px`;
    menu.querySelector("button").focus();
  }

  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !reader.body.contains(event.target)) close();
  });

  return { element: menu, open, close, isOpen: () => !menu.hidden };
}
