// The post's annotations as the reader knows them (api.fromJsonLd fields), each anchored
// one painted over the body as <mark> elements (its ``marks``).

import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";
import { unwrap, wrap } from "./textmap.js";

export class Store {
  constructor(body) {
    this.body = body;
    this.items = new Map(); // id → annotation
  }

  get(id) {
    return this.items.get(id);
  }

  values() {
    return [...this.items.values()];
  }

  add(annotation) {
    this.items.set(annotation.id, annotation);
    if (annotation.state === "anchored") this.paint(annotation);
  }

  forget(annotation) {
    unwrap(annotation.marks || []);
    annotation.marks = [];
    this.items.delete(annotation.id);
  }

  // The annotation a node (a mark or inside one) belongs to, or null.
  of(node) {
    const mark = node.closest && node.closest("mark[data-annotation]");
    return mark ? this.get(Number(mark.dataset.annotation)) : null;
  }

  // Every annotation painted over a node, innermost first (highlights overlap).
  allOf(node) {
    const found = [];
    for (let mark = node.closest && node.closest("mark[data-annotation]"); mark && this.body.contains(mark);
      mark = mark.parentElement && mark.parentElement.closest("mark[data-annotation]")) {
      const annotation = this.get(Number(mark.dataset.annotation));
      if (annotation && !found.includes(annotation)) found.push(annotation);
    }
    return found;
  }

  paint(annotation) {
    annotation.marks = wrap(this.body, annotation.start, annotation.end, () =>
      element("mark", {
        class: "pz-mark",
        "data-annotation": annotation.id,
        "data-colour": annotation.colour,
        "data-kind": annotation.kind,
        tabindex: "0",
        role: "button",
        "aria-label": `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}${annotation.shared ? " · 共享 shared" : ""}`,
      }),
    );
  }
}
