// The reader's annotations: select text → toolbar (highlight in a colour, note, translate);
// highlights painted over the body; notes in the margin (inline cards on phones);
// translations interlinear or side by side; edit, delete with undo; orphans panel; notes on
// the whole page; the 批注 Annotations panel, and ] / [ from one passage to the next. Others'
// notes (my groups', everyone's) drawn apart from mine, a layer switcher, replies under a
// note, and flagging and hiding for the groups' moderators.
// The server anchors: this module only reports selections (quote + code point positions)
// and paints the ranges the server returns.
//
// This file wires the pieces (annotator/*.js) around one ``reader`` object: the page's
// elements, the store of annotations, the current selection, and the few actions the
// pieces ask of each other (refresh, edit, remove, clearSelection).

import { api, fromJsonLd } from "./annotator/api.js";
import { classesOf, describe } from "./annotator/audience.js";
import { createChooser } from "./annotator/chooser.js";
import { createEditor } from "./annotator/editor.js";
import { ALL, renderLayers, reveal, setLayer, watchLayers } from "./annotator/layers.js";
import { layoutCards } from "./annotator/margin.js";
import { renderOrphans, watchOrphansToggle } from "./annotator/orphans.js";
import { renderPageNotes, watchPageNoteButton } from "./annotator/pagenotes.js";
import { renderPanel, watchPanel } from "./annotator/panel.js";
import { jumpTo, unlightAll, watchStepKeys } from "./annotator/passages.js";
import { Store } from "./annotator/store.js";
import { toast, toastBox } from "./annotator/toast.js";
import { createToolbar } from "./annotator/toolbar.js";
import { typing } from "./keys.js";

const TRANSLATION_MODE_KEY = "pizhu-translations";

function createReader(article) {
  const body = article.querySelector("[data-post-body]");
  const reader = {
    article,
    body,
    margin: article.querySelector("[data-margin]"),
    store: new Store(body),
    postId: Number(article.dataset.post),
    apiBase: article.dataset.api,
    phone: matchMedia("(max-width: 63.99rem)"),
    narrow: matchMedia("(max-width: 30rem)"), // the tools' labels keep their Chinese half
    selection: null, // { start, end, exact, rect } of the current selection in the body
    lastColour: "yellow",
    translationMode: localStorage.getItem(TRANSLATION_MODE_KEY) || "interlinear",
    mine: (annotation) => annotation.creator === article.dataset.user,
    staff: "staff" in article.dataset, // hides notes to everyone (the server checks again)
    groups: new Map(), // my groups: id → { id, name, role } (GET /api/groups/)
    roleIn: (group) => reader.groups.get(group)?.role ?? null,
    layer: ALL, // layers.js
    ready: false, // the annotations are loaded
    lastJumped: null, // the annotation ] and [ count from while it is on screen
    refresh() {
      unlightAll(reader);
      renderLayers(reader);
      layoutCards(reader);
      renderOrphans(reader);
      renderPageNotes(reader);
      renderPanel(reader);
      // Interlinear or side by side means something only once there are translations.
      const toggle = article.querySelector("[data-translation-toggle]");
      if (toggle) toggle.hidden = !reader.store.values().some((a) => a.kind === "translation");
    },
  };
  reader.store.describe = (annotation) => describe(reader, annotation);
  reader.store.classesOf = (annotation) => classesOf(reader, annotation);
  return reader;
}

// Delete, then offer to undo it for as long as the message shows.
async function remove(reader, annotation) {
  try {
    await api.remove(annotation.url, annotation.etag);
  } catch (error) {
    toast(error.message);
    return;
  }
  reader.store.forget(annotation);
  reader.refresh();
  toast("已删除 Deleted.", {
    label: "撤销 Undo",
    run: async () => {
      try {
        reader.store.add(fromJsonLd(await api.restore(annotation.url)));
        reader.refresh();
      } catch (error) {
        toast(error.message);
      }
    },
  });
}

function setTranslationMode(reader, mode) {
  reader.translationMode = mode;
  try { localStorage.setItem(TRANSLATION_MODE_KEY, mode); } catch (e) { /* not remembered */ }
  for (const button of reader.article.querySelectorAll("[data-translation-mode]")) {
    button.setAttribute("aria-pressed", String(button.dataset.translationMode === mode));
  }
  reader.refresh();
}

// /posts/12/#annotation-34 (the notebook's links): scroll to the passage (or the page note)
// and flash it, in the 全部 All layer if the chosen one hides it. A reply's link opens its
// note's conversation; a reply whose note is gone, the panel where it is kept.
function flashTarget(reader) {
  const match = /^#annotation-(\d+)$/.exec(location.hash);
  if (!match) return;
  const id = Number(match[1]);
  const reply = reader.store.replies.get(id);
  const annotation = reply ? reader.store.rootOf(reply) : reader.store.get(id);
  if (annotation && !reader.store.shows(annotation)) setLayer(reader, ALL);
  if (annotation) jumpTo(reader, annotation);
  if (reply && annotation) {
    const place = annotation.marks?.[0] || reader.article.querySelector(`[data-page-note="${annotation.id}"], [data-orphan="${annotation.id}"]`);
    reader.edit(annotation, place);
    document.querySelector(`[data-thread] [data-reply="${id}"]`)?.scrollIntoView({ block: "nearest" });
  } else if (reply) {
    if (!reader.store.shows(reply)) setLayer(reader, ALL);
    reader.openPanel();
    reader.article.querySelector(`[data-panel] [data-reply="${id}"]`)?.scrollIntoView({ block: "center" });
  }
}

// My groups, for the layers, the editor's 谁能看到 choice and who moderates what. Without
// them (an older server, a network error) the reader still works, without group layers.
async function loadGroups(reader) {
  const url = reader.article.dataset.groupsApi;
  if (!url) return;
  try {
    const found = await api.groups(url);
    for (const group of found.items || []) reader.groups.set(group.id, group);
  } catch (error) {
    toast(`小组加载失败 Could not load your groups: ${error.message}`);
  }
}

// Everything this reader may see on the post, in one list (the server decides what that
// is; layers.js filters it here): notes and replies alike.
async function load(reader) {
  let [page] = await Promise.all([api.list(reader.apiBase, reader.postId), loadGroups(reader)]);
  setLayer(reader, reader.layer, { remember: false }); // a remembered group I left: 全部 All
  for (;;) {
    for (const item of page.items) reader.store.add(fromJsonLd(item));
    if (!page.next) break;
    page = await fetch(page.next, { credentials: "same-origin" }).then((r) => r.json());
  }
  reader.ready = true;
  reader.refresh();
  flashTarget(reader);
  reader.article.dataset.annotationsLoaded = "true";
}

// Everything again, from the server (after a change that moved more than one annotation).
async function reload(reader) {
  delete reader.article.dataset.annotationsLoaded;
  reader.ready = false;
  reader.store.clear();
  reader.groups.clear();
  try {
    await load(reader);
  } catch (error) {
    toast(`批注加载失败 Could not load annotations: ${error.message}`);
  }
}

function start(article) {
  const reader = createReader(article);
  const editor = createEditor(reader);
  const toolbar = createToolbar(reader, { openEditor: editor.open, editorElement: editor.element });
  const chooser = createChooser(reader, { openEditor: editor.open });
  reader.edit = editor.open;
  reader.remove = (annotation) => remove(reader, annotation);
  reader.reload = () => reload(reader);
  reader.reveal = (annotation) => reveal(reader, annotation);
  reader.clearSelection = toolbar.clear;
  const panel = watchPanel(reader);
  reader.openPanel = panel.open;
  watchLayers(reader);

  document.body.append(toolbar.element, editor.element, chooser.element, toastBox);
  document.addEventListener("mouseup", (event) => {
    if (toolbar.element.contains(event.target) || editor.element.contains(event.target)) return;
    setTimeout(toolbar.update);
  });
  document.addEventListener("keyup", (event) => {
    if (event.key.startsWith("Shift") || event.key.startsWith("Arrow")) toolbar.update();
  });
  document.addEventListener("touchend", () => setTimeout(toolbar.update, 50));
  document.addEventListener("selectionchange", () => {
    if (getSelection().isCollapsed && !toolbar.element.hidden) toolbar.element.hidden = true;
  });
  reader.body.addEventListener("click", (event) => {
    if (!getSelection().isCollapsed) return;
    const found = reader.store.allOf(event.target);
    chooser.close();
    if (found.length === 1) editor.open(found[0], event.target.closest("mark"));
    else if (found.length > 1) chooser.open(found, event); // overlapping highlights: which one?
  });
  reader.body.addEventListener("keydown", (event) => {
    const annotation = (event.key === "Enter" || event.key === " ") && reader.store.of(event.target);
    if (annotation) {
      event.preventDefault();
      editor.open(annotation, event.target);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (chooser.isOpen()) chooser.close();
      else if (editor.isOpen()) editor.close();
      else if (!toolbar.element.hidden) toolbar.clear();
      else if (panel.isOpen()) panel.close();
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const action = {
      h: () => toolbar.highlight(reader.lastColour),
      n: () => toolbar.startDraft("note"),
      t: () => toolbar.startDraft("translation"),
    }[event.key];
    const current = action && toolbar.readSelection();
    if (current) {
      reader.selection = current;
      event.preventDefault();
      event.stopImmediatePropagation();
      action();
    }
  }, true);
  for (const button of article.querySelectorAll("[data-translation-mode]")) {
    button.addEventListener("click", () => setTranslationMode(reader, button.dataset.translationMode));
  }
  watchOrphansToggle(reader);
  watchPageNoteButton(reader);
  watchStepKeys(reader);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(reader.refresh, 150); });
  window.addEventListener("hashchange", () => flashTarget(reader));
  setTranslationMode(reader, reader.translationMode);
  load(reader).catch((error) => toast(`批注加载失败 Could not load annotations: ${error.message}`));
}

const article = document.querySelector("[data-annotator]");
if (article && article.querySelector("[data-post-body]") && article.dataset.user) start(article);
