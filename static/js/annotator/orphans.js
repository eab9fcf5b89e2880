// The 未定位 Orphans panel: annotations whose text a re-import took away, each re-attachable
// to a new selection, or deletable.

import { api, fromJsonLd, toJsonLd } from "./api.js";
import { element } from "./dom.js";
import { KIND_NAMES } from "./labels.js";
import { toast } from "./toast.js";

async function reattach(reader, orphan) {
  if (!reader.selection) {
    toast("先选中新的文字 Select the new text first.");
    return;
  }
  try {
    const updated = fromJsonLd(await api.update(orphan.url, toJsonLd(reader.selection, reader.postId), orphan.etag));
    reader.store.forget(orphan);
    reader.store.add(updated);
    reader.clearSelection();
    reader.refresh();
  } catch (error) {
    toast(error.message);
  }
}

export function renderOrphans(reader) {
  const panel = reader.article.querySelector("[data-orphans]");
  const toggle = reader.article.querySelector("[data-orphans-toggle]");
  const list = panel.querySelector("[data-orphan-list]");
  const orphans = reader.store.values().filter((a) => a.state === "orphaned");
  list.replaceChildren();
  toggle.hidden = orphans.length === 0;
  if (!orphans.length) panel.hidden = true;
  toggle.querySelector("[data-orphan-count]").textContent = String(orphans.length);
  for (const orphan of orphans) {
    const attach = element("button", { type: "button", text: "重新定位 Attach here" });
    attach.addEventListener("click", () => reattach(reader, orphan));
    const remove = element("button", { type: "button", text: "删除 Delete" });
    remove.addEventListener("click", () => reader.remove(orphan));
    const item = element("li", { "data-orphan": orphan.id },
      element("blockquote", { text: orphan.exact }),
      element("div", { class: "pz-card-meta", text: `${KIND_NAMES[orphan.kind]} · ${orphan.colourName}${reader.mine(orphan) ? "" : ` · @${orphan.creator}`}` }),
    );
    if (orphan.bodyHtml) {
      const note = element("div", { class: "pz-card-body" });
      note.innerHTML = orphan.bodyHtml; // sanitized by the server
      item.append(note);
    }
    if (reader.mine(orphan)) item.append(attach, " ", remove);
    list.append(item);
  }
}

export function watchOrphansToggle(reader) {
  const toggle = reader.article.querySelector("[data-orphans-toggle]");
  toggle.addEventListener("click", () => {
    const panel = reader.article.querySelector("[data-orphans]");
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
  });
}
