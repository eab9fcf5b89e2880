// The dialog of one annotation (or of a draft for a new note or translation): note,
// language, tags, colour, who sees it; save, delete, cancel. Someone else's annotation opens
// to be read, not as a form, with 举报 Flag (and 隐藏 Hide for its moderators). Under a saved
// one: its replies and a reply box (thread.js).

import { api, ApiError, fromJsonLd, toJsonLd } from "./api.js";
import { audienceLabel, byline, hiddenNotice } from "./audience.js";
import { element } from "./dom.js";
import { COLOURS, KIND_NAMES } from "./labels.js";
import { reveal } from "./layers.js";
import { moderationButtons } from "./moderation.js";
import { PAGE_NOTE } from "./pagenotes.js";
import { renderThread } from "./thread.js";
import { toast } from "./toast.js";

// The editor's 谁能看到 choice: only me, one of my groups, or everyone signed in. A group the
// note is in but the reader's list lacks (it failed to load) stays a choice, so saving never
// moves a note out of its group unasked.
function visibilityChoice(reader, annotation) {
  const select = element("select", { name: "visibility", "aria-label": "谁能看到 Who can see it" });
  const current = annotation.visibility === "group" ? `group:${annotation.group}` : annotation.visibility || "private";
  const choices = [["private", "只有我 Only me"]];
  for (const [id, group] of reader.groups) choices.push([`group:${id}`, `小组: ${group.name}`]);
  if (annotation.visibility === "group" && !reader.groups.has(annotation.group)) {
    choices.push([current, audienceLabel(annotation)]);
  }
  choices.push(["everyone", "所有人 Everyone signed in"]);
  for (const [value, label] of choices) {
    select.append(element("option", { value, text: label, selected: value === current }));
  }
  return element("label", { class: "pz-field pz-visibility" }, "谁能看到 Who can see it ", select);
}

// "group:12" → { visibility: "group", group: 12 }; "everyone" → { visibility: "everyone" }.
function audienceOf(value) {
  const group = /^group:(\d+)$/.exec(value || "");
  return group ? { visibility: "group", group: Number(group[1]) } : { visibility: value || "private" };
}

// What the note is on: the quote, or for a page note the whole article.
function subject(annotation) {
  return annotation.pageNote
    ? element("p", { class: "pz-quote", text: `${PAGE_NOTE} · 整篇文章 the whole article` })
    : element("blockquote", { class: "pz-quote", text: annotation.exact });
}

function title(annotation, kind) {
  return annotation.pageNote ? PAGE_NOTE : `${KIND_NAMES[kind]}: ${annotation.exact.slice(0, 40)}`;
}

export function createEditor(reader) {
  const editor = element("div", { class: "pz-editor", hidden: true, role: "dialog", "aria-modal": "false" });
  let form = null; // the edit form, when the dialog holds one
  let editing = null; // the annotation being edited, or a draft { kind, start, end, exact }
  let opener = null; // what opened the editor, focused again on close when there is no mark

  function defaultLanguage() {
    const sample = reader.body.textContent.slice(0, 400);
    const cjk = (sample.match(/[\u3400-\u9fff]/g) || []).length;
    return cjk > sample.length / 4 ? "en" : "zh-Hans";
  }

  function place(annotation, anchorNode) {
    const target = anchorNode || annotation.marks?.[0];
    const rect = target?.getBoundingClientRect?.() || annotation.rect;
    if (rect && !reader.phone.matches) {
      editor.style.top = `${rect.bottom + window.scrollY + 8}px`;
      editor.style.left = `${Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - 360))}px`;
      return;
    }
    editor.style.top = editor.style.left = "";
    // On a phone the editor is a sheet at the bottom: keep the passage in sight above it,
    // with room to scroll that far even near the end of the page.
    document.body.style.paddingBottom = `${editor.offsetHeight + 16}px`;
    const passage = target?.getBoundingClientRect?.() || rect;
    if (passage && passage.bottom > window.innerHeight - editor.offsetHeight - 8) {
      window.scrollBy({ top: passage.top - 16, behavior: "instant" });
    }
  }

  function show(annotation, anchorNode, kind, focus) {
    opener = anchorNode;
    editor.dataset.kind = kind;
    editor.hidden = false;
    place(annotation, anchorNode);
    focus.focus();
  }

  // What a saved annotation adds to its dialog: the notice when it is hidden (in ``slot``),
  // the moderation buttons (``strip``), and its conversation.
  function extras(annotation) {
    const slot = element("div", { class: "pz-notice-slot" });
    const strip = element("div", { class: "pz-actions pz-moderation" });
    const redraw = () => {
      strip.replaceChildren(...moderationButtons(reader, annotation, redraw));
      strip.hidden = !strip.childElementCount;
      const notice = hiddenNotice(reader, annotation);
      slot.replaceChildren(...(notice ? [notice] : []));
      slot.hidden = !notice;
      renderThread(reader, thread, { root: annotation }); // a hidden note takes no replies
    };
    const thread = element("section", { class: "pz-thread", "data-thread": annotation.id, "aria-label": "回复 Replies" });
    redraw();
    return { slot, strip, thread };
  }

  // Someone else's annotation: to read, not a form with every field disabled.
  function openToRead(annotation, anchorNode) {
    editing = annotation;
    form = null;
    editor.dataset.mode = "read";
    editor.replaceChildren();
    editor.setAttribute("aria-label", title(annotation, annotation.kind));
    const meta = element("p", { class: "pz-card-meta" },
      element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
      element("span", { text: `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}` }),
      ...byline(reader, annotation, { replies: false }),
      ...annotation.tags.map((tag) => element("span", { class: "pz-tag", text: `#${tag}` })),
    );
    const { slot, strip, thread } = extras(annotation);
    const parts = [subject(annotation), meta, slot];
    if (annotation.bodyHtml) {
      const note = element("div", { class: "pz-card-body", "data-read-note": true });
      if (annotation.language) note.lang = annotation.language;
      note.innerHTML = annotation.bodyHtml; // rendered and sanitized by the server (nh3)
      parts.push(note);
    }
    const closeButton = element("button", { type: "button", text: "关闭 Close" });
    closeButton.addEventListener("click", close);
    editor.append(...parts, element("div", { class: "pz-actions" }, closeButton, strip), thread);
    show(annotation, anchorNode, annotation.kind, closeButton);
  }

  function open(annotation, anchorNode) {
    if (annotation.id !== undefined && !reader.mine(annotation)) {
      openToRead(annotation, anchorNode);
      return;
    }
    editing = annotation;
    delete editor.dataset.mode;
    form = element("form", { class: "pz-editor-form" });
    form.addEventListener("submit", save);
    const kind = annotation.kind === "highlight" && annotation.id === undefined ? "note" : annotation.kind;
    editor.replaceChildren();
    editor.setAttribute("aria-label", title(annotation, kind));
    const quote = subject(annotation);
    const textLabel = kind === "translation" ? "译文 Translation" : `${KIND_NAMES.note} (Markdown)`;
    const text = element("textarea", { name: "body", rows: "4", "aria-label": textLabel, placeholder: textLabel });
    text.value = annotation.body || "";
    const fields = [quote, text];
    if (kind === "translation") {
      const language = element("input", {
        name: "language", value: annotation.language || defaultLanguage(), "aria-label": "语言 Language (BCP 47)",
        placeholder: "en, zh-Hant…", size: "8",
      });
      fields.push(element("label", { class: "pz-field" }, "语言 Language ", language));
    }
    const tags = element("input", {
      name: "tags", value: (annotation.tags || []).join(", "), "aria-label": "标签 Tags (comma-separated)",
      placeholder: "标签 tags, comma-separated",
    });
    fields.push(element("label", { class: "pz-field" }, "标签 Tags ", tags));
    const colours = element("fieldset", { class: "pz-colours" }, element("legend", { text: "颜色 Colour" }));
    for (const [colour, name] of COLOURS) {
      const radio = element("input", {
        type: "radio", name: "colour", value: colour,
        checked: (annotation.colour || reader.lastColour) === colour,
      });
      colours.append(element("label", { class: "pz-colour-choice", "data-colour": colour }, radio, ` ${name}`));
    }
    fields.push(colours);
    fields.push(visibilityChoice(reader, annotation));
    const actions = element("div", { class: "pz-actions" }, element("button", { type: "submit", text: "保存 Save" }));
    if (annotation.id !== undefined) {
      const remove = element("button", { type: "button", "data-delete": true, text: "删除 Delete" });
      remove.addEventListener("click", () => { close(); reader.remove(annotation); });
      actions.append(remove);
    }
    const cancel = element("button", { type: "button", text: "取消 Cancel" });
    cancel.addEventListener("click", close);
    actions.append(cancel);
    // Under the quote: on a phone the sheet scrolls, and an error below Save went unseen.
    const error = element("p", { class: "pz-error", role: "alert" });
    form.append(fields[0], error, ...fields.slice(1), actions);
    editor.append(form);
    if (annotation.id !== undefined) {
      const { slot, strip, thread } = extras(annotation);
      form.before(slot);
      form.after(strip, thread);
    }
    show(annotation, anchorNode, kind, text);
  }

  function close() {
    const returnTo = (editing && editing.marks && editing.marks[0]) || opener;
    document.body.style.paddingBottom = "";
    editor.hidden = true;
    editing = null;
    form = null;
    if (returnTo && document.contains(returnTo)) returnTo.focus();
  }

  async function save(event) {
    event.preventDefault();
    const values = new FormData(form);
    const fields = {
      kind: editor.dataset.kind,
      body: values.get("body") || "",
      language: editor.dataset.kind === "translation" ? (values.get("language") || "").trim() : "",
      tags: (values.get("tags") || "").split(/[,，、]/).map((t) => t.trim()).filter(Boolean),
      colour: values.get("colour") || reader.lastColour,
      ...audienceOf(values.get("visibility")),
    };
    const target = editing;
    const error = form.querySelector(".pz-error");
    if (fields.kind !== "highlight" && !fields.body.trim()) {
      // An empty note would only be a highlight that shows as an empty card.
      error.textContent = fields.kind === "translation"
        ? "请先写下译文。Write the translation first."
        : "请先写点什么；只想划线的话，用工具栏里的颜色。Write something first; for a plain highlight, pick a colour in the toolbar.";
      form.querySelector("textarea").focus();
      error.scrollIntoView({ block: "nearest" });
      return;
    }
    try {
      let saved;
      const moved = target.id !== undefined && (target.visibility !== fields.visibility || target.group !== (fields.group ?? null));
      if (target.id === undefined) {
        saved = await api.create(reader.apiBase, toJsonLd({ ...target, ...fields }, reader.postId));
      } else {
        saved = await api.update(target.url, toJsonLd(fields, reader.postId), target.etag);
        reader.store.forget(target);
      }
      reader.lastColour = fields.colour;
      const fresh = fromJsonLd(saved);
      reader.store.add(fresh);
      if (editing === target) {  // the reader may have moved on to another passage meanwhile
        document.body.style.paddingBottom = "";
        editor.hidden = true;
        editing = null;
        form = null;
      }
      reader.refresh();
      reveal(reader, fresh);
      // Its replies followed it to the new audience (and their versions moved): load them again.
      if (moved && reader.store.thread(target.id).length) reader.reload();
    } catch (failure) {
      if (editing !== target) return toast(failure.message);
      error.textContent =
        failure instanceof ApiError && failure.status === 412
          ? "这条批注已在别处修改，请刷新页面。It was changed elsewhere (another tab?): reload to see it."
          : failure.message;
      error.scrollIntoView({ block: "nearest" });
    }
  }

  return { element: editor, open, close, isOpen: () => !editor.hidden, editing: () => editing };
}
