// The editor of one annotation (or of a draft for a new note or translation): note,
// language, tags, colour, sharing; save, delete, cancel. Others' annotations open read-only.

import { api, ApiError, fromJsonLd, toJsonLd } from "./api.js";
import { element } from "./dom.js";
import { COLOURS, KIND_NAMES } from "./labels.js";
import { toast } from "./toast.js";

export function createEditor(reader) {
  const editor = element("form", { class: "pz-editor", hidden: true, role: "dialog", "aria-modal": "false" });
  let editing = null; // the annotation being edited, or a draft { kind, start, end, exact }

  function defaultLanguage() {
    const sample = reader.body.textContent.slice(0, 400);
    const cjk = (sample.match(/[\u3400-\u9fff]/g) || []).length;
    return cjk > sample.length / 4 ? "en" : "zh-Hans";
  }

  function open(annotation, anchorNode) {
    editing = annotation;
    const own = annotation.id === undefined || reader.mine(annotation);
    const kind = annotation.kind === "highlight" && annotation.id === undefined ? "note" : annotation.kind;
    editor.replaceChildren();
    editor.setAttribute("aria-label", `${KIND_NAMES[kind]}: ${annotation.exact.slice(0, 40)}`);
    const quote = element("blockquote", { class: "pz-quote", text: annotation.exact });
    const textLabel = kind === "translation" ? "译文 Translation" : `${KIND_NAMES.note} (Markdown)`;
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
        checked: (annotation.colour || reader.lastColour) === colour,
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
      remove.addEventListener("click", () => { close(); reader.remove(annotation); });
      actions.append(remove);
    }
    const cancel = element("button", { type: "button", text: own ? "取消 Cancel" : "关闭 Close" });
    cancel.addEventListener("click", close);
    actions.append(cancel);
    const error = element("p", { class: "pz-error", role: "alert" });
    editor.append(...fields, actions, error);
    editor.dataset.kind = kind;
    editor.hidden = false;
    const rect = (anchorNode || annotation.marks?.[0])?.getBoundingClientRect?.() || annotation.rect;
    if (rect && !reader.phone.matches) {
      editor.style.top = `${rect.bottom + window.scrollY + 8}px`;
      editor.style.left = `${Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - 360))}px`;
    } else {
      editor.style.top = editor.style.left = "";
    }
    (own ? text : cancel).focus();
  }

  function close() {
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
      colour: form.get("colour") || reader.lastColour,
      shared: form.get("shared") !== null,
    };
    const target = editing;
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
        editor.hidden = true;
        editing = null;
      }
      reader.refresh();
    } catch (error) {
      if (editing !== target) return toast(error.message);
      editor.querySelector(".pz-error").textContent =
        error instanceof ApiError && error.status === 412
          ? "这条批注已在别处修改，请刷新页面。It was changed elsewhere (another tab?): reload to see it."
          : error.message;
    }
  });

  return { element: editor, open, close, isOpen: () => !editor.hidden };
}
