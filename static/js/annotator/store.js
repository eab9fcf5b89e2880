// The post's annotations as the reader knows them (api.fromJsonLd fields): the notes, each
// anchored one that the chosen layer shows painted over the body as <mark> elements (its
// ``marks``), and the replies, kept apart and found by the note they answer.

import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";
import { unwrap, wrap } from "./textmap.js";

export class Store {
  constructor(body) {
    this.body = body;
    this.items = new Map(); // id → note (not a reply)
    this.replies = new Map(); // id → reply
    this.byParent = null; // parent id → its replies, built when first asked for after a change
    this.shows = () => true; // the layer's filter (layers.js)
    this.describe = (annotation) => `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}`;
    this.classesOf = () => [];
  }

  get(id) {
    return this.items.get(id);
  }

  // The notes the layer shows; ``all`` whatever the layer.
  values() {
    return [...this.items.values()].filter(this.shows);
  }

  all() {
    return [...this.items.values()];
  }

  // How many entries the 批注 Annotations panel lists under ``filter`` (a layer's, the
  // chosen one by default): its notes, and the conversations left of deleted notes that it
  // shows replies of. The panel's count and every layer's count are this one number, so
  // they cannot disagree.
  count(filter = this.shows) {
    const notes = this.all().filter(filter).length;
    return notes + this.looseThreads().filter((loose) => loose.replies.some(filter)).length;
  }

  add(annotation) {
    if (annotation.isReply) {
      this.replies.set(annotation.id, annotation);
      this.byParent = null;
      return;
    }
    this.items.set(annotation.id, annotation);
    if (annotation.state === "anchored" && this.shows(annotation)) this.paint(annotation);
  }

  forget(annotation) {
    unwrap(annotation.marks || []);
    annotation.marks = [];
    this.items.delete(annotation.id);
    this.replies.delete(annotation.id);
    this.byParent = null;
  }

  clear() {
    for (const annotation of this.items.values()) unwrap(annotation.marks || []);
    this.items.clear();
    this.replies.clear();
    this.byParent = null;
  }

  // The layer changed: paint what it shows, and only that.
  repaint() {
    for (const annotation of this.items.values()) {
      unwrap(annotation.marks || []);
      annotation.marks = [];
    }
    const painted = this.values().filter((a) => a.state === "anchored" && !a.pageNote);
    painted.sort((a, b) => a.start - b.start || a.end - b.end || a.id - b.id); // as loaded
    for (const annotation of painted) this.paint(annotation);
  }

  // The direct replies to annotation ``id``, oldest first.
  repliesTo(id) {
    if (!this.byParent) {
      this.byParent = new Map();
      const sorted = [...this.replies.values()].sort((a, b) => a.id - b.id);
      for (const reply of sorted) {
        if (!this.byParent.has(reply.parent)) this.byParent.set(reply.parent, []);
        this.byParent.get(reply.parent).push(reply);
      }
    }
    return this.byParent.get(id) || [];
  }

  // A note's whole conversation: its replies and theirs, oldest first (one level shown).
  thread(id) {
    const found = [];
    for (let level = this.repliesTo(id); level.length; level = level.flatMap((r) => this.repliesTo(r.id))) {
      found.push(...level);
    }
    return found.sort((a, b) => a.id - b.id);
  }

  // The note a reply belongs to, when it is here (its parents are followed up).
  rootOf(reply) {
    let at = reply;
    const seen = new Set();
    while (at && at.isReply && !seen.has(at.id)) {
      seen.add(at.id);
      at = this.items.get(at.parent) || this.replies.get(at.parent);
    }
    return at && !at.isReply ? at : null;
  }

  // Replies whose note is not here (deleted, or gone with its author's account), grouped by
  // the note they answered: each group shows under a 已删除的批注 placeholder.
  looseThreads() {
    const groups = new Map(); // the missing note's id (null: unknown) → its replies here
    const tops = [...this.replies.values()].filter((r) => !this.items.has(r.parent) && !this.replies.has(r.parent));
    for (const top of tops.sort((a, b) => a.id - b.id)) {
      if (!groups.has(top.parent)) groups.set(top.parent, { parent: top.parent, tops: [], replies: [] });
      const group = groups.get(top.parent);
      group.tops.push(top);
      group.replies.push(top, ...this.thread(top.id));
    }
    for (const group of groups.values()) group.replies.sort((a, b) => a.id - b.id);
    return [...groups.values()];
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
        class: ["pz-mark", ...this.classesOf(annotation)].join(" "),
        "data-annotation": annotation.id,
        "data-colour": annotation.colour,
        "data-kind": annotation.kind,
        tabindex: "0",
        role: "button",
        "aria-label": this.describe(annotation),
      }),
    );
  }
}
