// The reader's annotations: select text → toolbar (highlight in a colour, note, translate);
// highlights painted over the body; notes in the margin (inline cards on phones);
// translations interlinear or side by side; edit, delete with undo; orphans panel.
// The server anchors: this module only reports selections (quote + code point positions)
// and paints the ranges the server returns.

import { api, ApiError, fromJsonLd, toJsonLd } from "./annotator/api.js";
import { TextMap, UI_ATTR, unwrap, wrap } from "./annotator/textmap.js";

const article = document.querySelector("[data-annotator]");
const body = article && article.querySelector("[data-post-body]");
const margin = article && article.querySelector("[data-margin]");

const COLOURS = [
  ["yellow", "黄 Yellow"],
  ["green", "绿 Green"],
  ["blue", "蓝 Blue"],
  ["pink", "粉 Pink"],
  ["purple", "紫 Purple"],
];
const KIND_NAMES = { highlight: "划线 Highlight", note: "笔记 Note", translation: "翻译 Translation" };
const BLOCKS = "p, li, blockquote, h1, h2, h3, h4, h5, h6, pre, figure, dd, dt";
const phone = matchMedia("(max-width: 63.99rem)");

const annotations = new Map(); // id → annotation fields (api.fromJsonLd) + marks
let selection = null; // { start, end, exact } of the current selection in the body
let lastColour = "yellow";
let translationMode = localStorage.getItem("pizhu-translations") || "interlinear";

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

function mine(annotation) {
  return annotation.creator === article.dataset.user;
}

// --- painting ---------------------------------------------------------------------------

function paint(annotation) {
  annotation.marks = wrap(body, annotation.start, annotation.end, () =>
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

function unpaint(annotation) {
  unwrap(annotation.marks || []);
  annotation.marks = [];
}

function card(annotation) {
  const meta = element("div", { class: "pz-card-meta" },
    element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
    element("span", { text: `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}` }),
  );
  if (annotation.language) meta.append(element("span", { class: "pz-lang", text: annotation.language }));
  if (!mine(annotation)) meta.append(element("span", { class: "pz-by", text: `@${annotation.creator}` }));
  for (const tag of annotation.tags) meta.append(element("span", { class: "pz-tag", text: `#${tag}` }));
  const content = element("div", { class: "pz-card-body" });
  if (annotation.language) content.lang = annotation.language;
  content.innerHTML = annotation.bodyHtml; // rendered and sanitized by the server (nh3)
  const node = element("div", {
    class: `pz-card pz-${annotation.kind}`,
    [UI_ATTR]: true,
    "data-card": annotation.id,
    "data-colour": annotation.colour,
  }, meta, content);
  node.addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    openEditor(annotation, node);
  });
  return node;
}

// The block a card goes after: the passage's paragraph (or list item, heading...), but a
// whole table, never a row or cell.
function blockAfter(mark) {
  const block = mark.closest("table") || mark.closest(BLOCKS) || mark.closest("div");
  return block && block !== body && body.contains(block) ? block : null;
}

function layout() {
  for (const old of document.querySelectorAll("[data-card]")) old.remove();
  const wide = !phone.matches;
  const sideCards = [];
  const sorted = [...annotations.values()].filter((a) => a.state === "anchored" && a.marks && a.marks.length);
  sorted.sort((a, b) => a.start - b.start || a.end - b.end);
  for (const annotation of sorted) {
    if (annotation.kind === "highlight" && !annotation.body) continue;
    const node = card(annotation);
    const inline = !wide || (annotation.kind === "translation" && translationMode === "interlinear");
    const lastMark = annotation.marks[annotation.marks.length - 1];
    const block = inline ? blockAfter(lastMark) : null;
    if (block) {
      node.classList.add("pz-inline");
      block.after(node);
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
  renderOrphans();
}

function add(annotation) {
  annotations.set(annotation.id, annotation);
  if (annotation.state === "anchored") paint(annotation);
}

function forget(annotation) {
  unpaint(annotation);
  annotations.delete(annotation.id);
}

// --- orphans ------------------------------------------------------------------------------

function renderOrphans() {
  const panel = article.querySelector("[data-orphans]");
  const toggle = article.querySelector("[data-orphans-toggle]");
  const list = panel.querySelector("[data-orphan-list]");
  const orphans = [...annotations.values()].filter((a) => a.state === "orphaned");
  list.replaceChildren();
  toggle.hidden = orphans.length === 0;
  if (!orphans.length) panel.hidden = true;
  toggle.querySelector("[data-orphan-count]").textContent = String(orphans.length);
  for (const orphan of orphans) {
    const attach = element("button", { type: "button", text: "重新定位 Attach here" });
    attach.addEventListener("click", () => reattach(orphan));
    const remove = element("button", { type: "button", text: "删除 Delete" });
    remove.addEventListener("click", () => removeAnnotation(orphan));
    const item = element("li", { "data-orphan": orphan.id },
      element("blockquote", { text: orphan.exact }),
      element("div", { class: "pz-card-meta", text: `${KIND_NAMES[orphan.kind]} · ${orphan.colourName}` }),
    );
    if (orphan.bodyHtml) {
      const note = element("div", { class: "pz-card-body" });
      note.innerHTML = orphan.bodyHtml; // sanitized by the server
      item.append(note);
    }
    if (mine(orphan)) item.append(attach, " ", remove);
    list.append(item);
  }
}

async function reattach(orphan) {
  if (!selection) {
    toast("先选中新的文字 Select the new text first.");
    return;
  }
  try {
    const updated = fromJsonLd(await api.update(orphan.url, toJsonLd(selection, postId()), orphan.etag));
    forget(orphan);
    add(updated);
    clearSelection();
    layout();
  } catch (error) {
    toast(error.message);
  }
}

// --- selection and toolbar ----------------------------------------------------------------

const toolbar = element("div", {
  class: "pz-toolbar",
  role: "toolbar",
  "aria-label": "批注所选文字 Annotate the selection",
  hidden: true,
});
for (const [colour, name] of COLOURS) {
  const button = element("button", {
    type: "button",
    class: "pz-swatch-button",
    "data-colour": colour,
    "aria-label": `划线 Highlight: ${name}`,
    title: `划线 Highlight (h): ${name}`,
  });
  button.addEventListener("click", () => highlight(colour));
  toolbar.append(button);
}
for (const [kind, label, key] of [["note", "笔记 Note", "n"], ["translation", "翻译 Translate", "t"]]) {
  const button = element("button", { type: "button", "data-action": kind, title: `${label} (${key})`, text: label });
  button.addEventListener("click", () => startDraft(kind));
  toolbar.append(button);
}

function postId() {
  return Number(article.dataset.post);
}

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

function updateToolbar() {
  const found = readSelection();
  if (found) selection = found;
  else if (!editor.contains(document.activeElement)) selection = null;
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

function clearSelection() {
  selection = null;
  getSelection().removeAllRanges();
  toolbar.hidden = true;
}

async function highlight(colour) {
  if (!selection) return;
  lastColour = colour;
  const chosen = selection;
  clearSelection();
  try {
    const created = fromJsonLd(
      await api.create(article.dataset.api, toJsonLd({ ...chosen, kind: "highlight", colour }, postId())),
    );
    add(created);
    layout();
  } catch (error) {
    toast(error.message);
  }
}

// --- editor -----------------------------------------------------------------------------------

const editor = element("form", { class: "pz-editor", hidden: true, role: "dialog", "aria-modal": "false" });
let editing = null; // the annotation being edited, or a draft { kind, start, end, exact }

function defaultLanguage() {
  const sample = body.textContent.slice(0, 400);
  const cjk = (sample.match(/[\u3400-\u9fff]/g) || []).length;
  return cjk > sample.length / 4 ? "en" : "zh-Hans";
}

function openEditor(annotation, anchorNode) {
  editing = annotation;
  const own = annotation.id === undefined || mine(annotation);
  const kind = annotation.kind === "highlight" && annotation.id === undefined ? "note" : annotation.kind;
  editor.replaceChildren();
  editor.setAttribute("aria-label", `${KIND_NAMES[kind]}: ${annotation.exact.slice(0, 40)}`);
  const quote = element("blockquote", { class: "pz-quote", text: annotation.exact });
  const textLabel = kind === "translation" ? "译文 Translation" : "笔记 Note (Markdown)";
  const text = element("textarea", { name: "body", rows: "4", "aria-label": textLabel, placeholder: textLabel, disabled: !own });
  text.value = annotation.body || "";
  const fields = [quote, text];
  if (kind === "translation") {
    const language = element("input", {
      name: "language", value: annotation.language || defaultLanguage(), "aria-label": "语言 Language (BCP 47)",
      placeholder: "en, zh-Hant…", size: "8", disabled: !own,
    });
    fields.push(element("label", { class: "pz-field" }, "语言 Language ", language));
  }
  const tags = element("input", {
    name: "tags", value: (annotation.tags || []).join(", "), "aria-label": "标签 Tags (comma-separated)",
    placeholder: "标签 tags, comma-separated", disabled: !own,
  });
  fields.push(element("label", { class: "pz-field" }, "标签 Tags ", tags));
  const colours = element("fieldset", { class: "pz-colours" }, element("legend", { text: "颜色 Colour" }));
  for (const [colour, name] of COLOURS) {
    const radio = element("input", {
      type: "radio", name: "colour", value: colour, disabled: !own,
      checked: (annotation.colour || lastColour) === colour,
    });
    colours.append(element("label", { class: "pz-colour-choice", "data-colour": colour }, radio, ` ${name}`));
  }
  fields.push(colours);
  fields.push(element("label", { class: "pz-field" },
    element("input", { type: "checkbox", name: "shared", checked: Boolean(annotation.shared), disabled: !own }),
    " 与所有登录用户共享 Share with every signed-in user"));
  const actions = element("div", { class: "pz-actions" });
  if (own) actions.append(element("button", { type: "submit", text: "保存 Save" }));
  if (own && annotation.id !== undefined) {
    const remove = element("button", { type: "button", "data-delete": true, text: "删除 Delete" });
    remove.addEventListener("click", () => { closeEditor(); removeAnnotation(annotation); });
    actions.append(remove);
  }
  const cancel = element("button", { type: "button", text: own ? "取消 Cancel" : "关闭 Close" });
  cancel.addEventListener("click", closeEditor);
  actions.append(cancel);
  const error = element("p", { class: "pz-error", role: "alert" });
  editor.append(...fields, actions, error);
  editor.dataset.kind = kind;
  editor.hidden = false;
  const rect = (anchorNode || annotation.marks?.[0])?.getBoundingClientRect?.() || annotation.rect;
  if (rect && !phone.matches) {
    editor.style.top = `${rect.bottom + window.scrollY + 8}px`;
    editor.style.left = `${Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - 360))}px`;
  } else {
    editor.style.top = editor.style.left = "";
  }
  (own ? text : cancel).focus();
}

function closeEditor() {
  const returnTo = editing && editing.marks && editing.marks[0];
  editor.hidden = true;
  editing = null;
  if (returnTo && document.contains(returnTo)) returnTo.focus();
}

editor.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(editor);
  const fields = {
    kind: editor.dataset.kind,
    body: form.get("body") || "",
    language: editor.dataset.kind === "translation" ? (form.get("language") || "").trim() : "",
    tags: (form.get("tags") || "").split(/[,，、]/).map((t) => t.trim()).filter(Boolean),
    colour: form.get("colour") || lastColour,
    shared: form.get("shared") !== null,
  };
  const target = editing;
  try {
    let saved;
    if (target.id === undefined) {
      saved = await api.create(article.dataset.api, toJsonLd({ ...target, ...fields }, postId()));
    } else {
      saved = await api.update(target.url, toJsonLd(fields, postId()), target.etag);
      forget(target);
    }
    lastColour = fields.colour;
    add(fromJsonLd(saved));
    if (editing === target) {  // the reader may have moved on to another passage meanwhile
      editor.hidden = true;
      editing = null;
    }
    layout();
  } catch (error) {
    if (editing !== target) return toast(error.message);
    editor.querySelector(".pz-error").textContent =
      error instanceof ApiError && error.status === 412
        ? "这条批注已在别处修改，请刷新页面。It was changed elsewhere (another tab?): reload to see it."
        : error.message;
  }
});

function startDraft(kind) {
  if (!selection) return;
  const draft = { ...selection, kind, colour: lastColour };
  toolbar.hidden = true;
  openEditor(draft, null);
}

// --- delete and undo ------------------------------------------------------------------------

const toastBox = element("div", { class: "pz-toast", role: "status", "aria-live": "polite", hidden: true });
let toastTimer = null;

function toast(message, action) {
  toastBox.replaceChildren(element("span", { text: message }));
  if (action) {
    const button = element("button", { type: "button", text: action.label });
    button.addEventListener("click", () => { toastBox.hidden = true; action.run(); });
    toastBox.append(" ", button);
  }
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastBox.hidden = true; }, 10000);
}

async function removeAnnotation(annotation) {
  try {
    await api.remove(annotation.url, annotation.etag);
  } catch (error) {
    toast(error.message);
    return;
  }
  forget(annotation);
  layout();
  toast("已删除 Deleted.", {
    label: "撤销 Undo",
    run: async () => {
      try {
        add(fromJsonLd(await api.restore(annotation.url)));
        layout();
      } catch (error) {
        toast(error.message);
      }
    },
  });
}

// --- wiring ----------------------------------------------------------------------------------

function annotationOf(node) {
  const mark = node.closest && node.closest("mark[data-annotation]");
  return mark ? annotations.get(Number(mark.dataset.annotation)) : null;
}

function setTranslationMode(mode) {
  translationMode = mode;
  try { localStorage.setItem("pizhu-translations", mode); } catch (e) { /* not remembered */ }
  for (const button of article.querySelectorAll("[data-translation-mode]")) {
    button.setAttribute("aria-pressed", String(button.dataset.translationMode === mode));
  }
  layout();
}

function flashTarget() {
  const match = /^#annotation-(\d+)$/.exec(location.hash);
  const annotation = match && annotations.get(Number(match[1]));
  if (!annotation || !annotation.marks || !annotation.marks.length) return;
  annotation.marks[0].scrollIntoView({ block: "center" });
  for (const mark of annotation.marks) {
    mark.classList.remove("pz-flash");
    void mark.offsetWidth; // restart the animation
    mark.classList.add("pz-flash");
  }
}

async function load() {
  let page = await api.list(article.dataset.api, postId());
  for (;;) {
    for (const item of page.items) add(fromJsonLd(item));
    if (!page.next) break;
    page = await fetch(page.next, { credentials: "same-origin" }).then((r) => r.json());
  }
  layout();
  flashTarget();
  article.dataset.annotationsLoaded = "true";
}

function start() {
  document.body.append(toolbar, editor, toastBox);
  document.addEventListener("mouseup", (event) => {
    if (toolbar.contains(event.target) || editor.contains(event.target)) return;
    setTimeout(updateToolbar);
  });
  document.addEventListener("keyup", (event) => {
    if (event.key.startsWith("Shift") || event.key.startsWith("Arrow")) updateToolbar();
  });
  document.addEventListener("touchend", () => setTimeout(updateToolbar, 50));
  document.addEventListener("selectionchange", () => {
    if (getSelection().isCollapsed && !toolbar.hidden) toolbar.hidden = true;
  });
  body.addEventListener("click", (event) => {
    const annotation = annotationOf(event.target);
    if (annotation && getSelection().isCollapsed) openEditor(annotation, event.target.closest("mark"));
  });
  body.addEventListener("keydown", (event) => {
    const annotation = (event.key === "Enter" || event.key === " ") && annotationOf(event.target);
    if (annotation) {
      event.preventDefault();
      openEditor(annotation, event.target);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (!editor.hidden) closeEditor();
      else if (!toolbar.hidden) clearSelection();
      return;
    }
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const action = { h: () => highlight(lastColour), n: () => startDraft("note"), t: () => startDraft("translation") }[event.key];
    const current = action && readSelection();
    if (current) {
      selection = current;
      event.preventDefault();
      event.stopImmediatePropagation();
      action();
    }
  }, true);
  for (const button of article.querySelectorAll("[data-translation-mode]")) {
    button.addEventListener("click", () => setTranslationMode(button.dataset.translationMode));
  }
  const orphansToggle = article.querySelector("[data-orphans-toggle]");
  orphansToggle.addEventListener("click", () => {
    const panel = article.querySelector("[data-orphans]");
    panel.hidden = !panel.hidden;
    orphansToggle.setAttribute("aria-expanded", String(!panel.hidden));
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(layout, 150); });
  window.addEventListener("hashchange", flashTarget);
  setTranslationMode(translationMode);
  load().catch((error) => toast(`批注加载失败 Could not load annotations: ${error.message}`));
}

if (article && body && article.dataset.user) start();
