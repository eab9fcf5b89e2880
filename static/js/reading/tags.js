// 我的标签 My tags: the reader's own tags of the post (private, apart from the archive's
// tags), as chips beside the reading-state buttons, each a link to the notebook's posts with
// that tag. Edited in place: typed as in the notebook (commas, 、 and ；), Enter saves (a
// PATCH of "tags"), Esc cancels; the server's limits come back as field errors, said here
// in both languages.

import { element } from "../annotator/dom.js";

// As annotations/own_tags.split: a leading # is dropped (people write #tag).
export function splitTags(text) {
  return text.split(/[,，、;；\n]/).map((name) => name.trim().replace(/^#+/, "").trim()).filter(Boolean);
}

// library/state.py's messages about tags, in both languages.
const SAID = [
  [/^at most (\d+) tags$/, (n) => `最多 ${n} 个标签 At most ${n} tags.`],
  [/^tags are limited to (\d+) characters$/, (n) => `每个标签最多 ${n} 个字 A tag has at most ${n} characters.`],
  [/^a tag cannot be empty$/, () => "标签不能为空 A tag cannot be empty."],
  [/NUL|surrogate/, () => "标签里有无法保存的字符 A tag holds a character that cannot be stored."],
];

export function explainTagError(error) {
  const messages = (error.data?.errors || []).filter((e) => e.field === "tags").map((e) => e.message);
  const said = messages.map((message) => {
    for (const [pattern, say] of SAID) {
      const match = pattern.exec(message);
      if (match) return say(match[1]);
    }
    return message;
  });
  return `标签没有保存 Tags not saved: ${said.length ? said.join(" ") : error.message}`;
}

// ``save(names)`` writes the tags (resolving when saved, throwing the API's error);
// show(names) is called with the tags the server holds.
export function createTagEditor(box, save) {
  const edit = box.querySelector("[data-reader-tags-edit]");
  const list = box.querySelector("[data-reader-tags-list]");
  const form = box.querySelector("[data-reader-tags-form]");
  const input = form.elements.tags;
  const problem = box.querySelector("[data-reader-tags-error]");
  let shown = [];

  function show(names) {
    shown = names;
    const notebook = box.dataset.notebook;
    list.replaceChildren(...names.map((name) => element("a", {
      class: "tag my-tag", href: `${notebook}?mytag=${encodeURIComponent(name)}`, text: `#${name}`,
    })));
    box.hidden = false;
  }

  function open() {
    input.value = shown.join(", ");
    problem.textContent = "";
    form.hidden = false;
    edit.setAttribute("aria-expanded", "true");
    input.focus();
  }

  function close() {
    form.hidden = true;
    edit.setAttribute("aria-expanded", "false");
    edit.focus();
  }

  edit.addEventListener("click", () => (form.hidden ? open() : close()));
  form.querySelector("[data-reader-tags-cancel]").addEventListener("click", close);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    close();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (input.readOnly) return; // saving already
    input.readOnly = true;
    try {
      await save(splitTags(input.value));
      close();
    } catch (error) {
      problem.textContent = explainTagError(error);
      input.focus();
    } finally {
      input.readOnly = false;
    }
  });
  return { show };
}
