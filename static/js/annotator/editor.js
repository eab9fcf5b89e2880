// The editor of one annotation (or of a draft for a new note or translation): note,
// language, tags, colour, sharing; save, delete, cancel. Someone else's shared annotation
// opens to be read, not as a form.

import { api, ApiError, fromJsonLd, toJsonLd } from "./api.js";
import { element } from "./dom.js";
import { COLOURS, KIND_NAMES } from "./labels.js";
import { PAGE_NOTE } from "./pagenotes.js";
import { toast } from "./toast.js";

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
  const editor = element("form", { class: "pz-editor", hidden: true, role: "dialog", "aria-modal": "false" });
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

  // Someone else's shared annotation: to read, not a form with every field disabled.
  function openToRead(annotation, anchorNode) {
    editing = annotation;
    editor.dataset.mode = "read";
    editor.replaceChildren();
    editor.setAttribute("aria-label", title(annotation, annotation.kind));
    const meta = element("p", { class: "pz-card-meta" },
      element("span", { class: "pz-swatch", "data-colour": annotation.colour, "aria-hidden": "true" }),
      element("span", { text: `${KIND_NAMES[annotation.kind]} · ${annotation.colourName}` }),
      element("span", { class: "pz-by", text: `@${annotation.creator}` }),
      ...annotation.tags.map((tag) => element("span", { class: "pz-tag", text: `#${tag}` })),
    );
    const parts = [subject(annotation), meta];
    if (annotation.bodyHtml) {
      const note = element("div", { class: "pz-card-body", "data-read-note": true });
      if (annotation.language) note.lang = annotation.language;
      note.innerHTML = annotation.bodyHtml; // rendered and sanitized by the server (nh3)
      parts.push(note);
    }
    const closeButton = element("button", { type: "button", text: "关闭 Close" });
    closeButton.addEventListener("click", close);
    editor.append(...parts, element("div", { class: "pz-actions" }, closeButton));
    show(annotation, anchorNode, annotation.kind, closeButton);
  }

  function open(annotation, anchorNode) {
    if (annotation.id !== undefined && !reader.mine(annotation)) {
      openToRead(annotation, anchorNode);
      return;
    }
    editing = annotation;
    delete editor.dataset.mode;
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
    fields.push(element("label", { class: "pz-field" },
      element("input", { type: "checkbox", name: "shared", checked: Boolean(annotation.shared) }),
      " 与所有登录用户共享 Share with every signed-in user"));
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
    editor.append(fields[0], error, ...fields.slice(1), actions);
    show(annotation, anchorNode, kind, text);
  }

  function close() {
    const returnTo = (editing && editing.marks && editing.marks[0]) || opener;
    document.body.style.paddingBottom = "";
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
      colour: form.get("colour") || reader.lastColour,
      shared: form.get("shared") !== null,
    };
    const target = editing;
    const error = editor.querySelector(".pz-error");
    if (fields.kind !== "highlight" && !fields.body.trim()) {
      // An empty note would only be a highlight that shows as an empty card.
      error.textContent = fields.kind === "translation"
        ? "请先写下译文。Write the translation first."
        : "请先写点什么；只想划线的话，用工具栏里的颜色。Write something first; for a plain highlight, pick a colour in the toolbar.";
      editor.querySelector("textarea").focus();
      error.scrollIntoView({ block: "nearest" });
      return;
    }
    try {
      let saved;
      if (target.id === undefined) {
        saved = await api.create(reader.apiBase, toJsonLd({ ...target, ...fields }, reader.postId));
      } else {
        saved = await api.update(target.url, toJsonLd(fields, reader.postId), target.etag);
        reader.store.forget(target);
      }
      reader.lastColour = fields.colour;
      reader.store.add(fromJsonLd(saved));
      if (editing === target) {  // the reader may have moved on to another passage meanwhile
        document.body.style.paddingBottom = "";
        editor.hidden = true;
        editing = null;
      }
      reader.refresh();
    } catch (failure) {
      if (editing !== target) return toast(failure.message);
      error.textContent =
        failure instanceof ApiError && failure.status === 412
          ? "这条批注已在别处修改，请刷新页面。It was changed elsewhere (another tab?): reload to see it."
          : failure.message;
      error.scrollIntoView({ block: "nearest" });
    }
  });

  return { element: editor, open, close, isOpen: () => !editor.hidden };
}
