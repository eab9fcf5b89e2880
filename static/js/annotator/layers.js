// The layer switcher: which of the annotations I may see the reader shows. 全部 All I can
// see (the default), 我的 Mine (my notes, whoever else sees them: not the editor's 只有我 Only
// me, which is who may see a note), 小组: a group of mine (its notes, mine and others'),
// 所有人 Everyone (notes to every signed-in reader). Remembered per browser, so a layer
// chosen on one post applies on the next: when it leaves some of a post's annotations out,
// the tools say how many, with a button back to 全部 All.
//
// The post's annotations come in one list request (everything this reader may see, which
// the server decides); a layer only filters that list here. Switching is instant and costs
// no request, each layer's count is known before it is chosen, and the server has one read
// path to keep right instead of one per layer. A post's annotations are few (hundreds at
// most), so holding all of them costs nothing.

import { toast } from "./toast.js";

const LAYER_KEY = "pizhu-layer";
export const ALL = "all";

function filterOf(reader, layer) {
  if (layer === "mine") return (a) => reader.mine(a);
  if (layer === "everyone") return (a) => a.visibility === "everyone";
  const group = /^group:(\d+)$/.exec(layer);
  if (group) return (a) => a.visibility === "group" && a.group === Number(group[1]);
  return () => true;
}

// The layers there are: the fixed ones, and one per group of mine.
function exists(reader, layer) {
  if ([ALL, "mine", "everyone"].includes(layer)) return true;
  const group = /^group:(\d+)$/.exec(layer);
  return Boolean(group && reader.groups.has(Number(group[1])));
}

function remembered() {
  try { return localStorage.getItem(LAYER_KEY) || ALL; } catch (e) { return ALL; }
}

export function setLayer(reader, layer, { remember = true } = {}) {
  reader.layer = exists(reader, layer) ? layer : ALL;
  reader.store.shows = filterOf(reader, reader.layer);
  const select = reader.article.querySelector("[data-layer]");
  if (select) select.value = reader.layer;
  if (remember) {
    try { localStorage.setItem(LAYER_KEY, reader.layer); } catch (e) { /* not remembered */ }
  }
  reader.store.repaint();
  reader.refresh();
}

// Whether choosing a layer can change anything: I am in a group, or someone else's notes are
// here. Otherwise the switcher stays out of the way (and 全部 All shows, whatever was chosen
// on another post: a hidden control must not hide my notes).
function meaningful(reader, notes) {
  return reader.groups.size > 0 || notes.some((a) => !reader.mine(a));
}

// The group options (once the groups are known) and every option's count (as the panel
// counts: store.count). On a phone the options show their Chinese half; their accessible
// names keep both, as the tools' buttons do. And what the chosen layer leaves out.
export function renderLayers(reader) {
  const select = reader.article.querySelector("[data-layer]");
  if (!select || !reader.ready) return; // nothing to judge by before the annotations are in
  const notes = reader.store.all();
  const wanted = meaningful(reader, notes);
  select.closest("[data-layer-switch]").hidden = !wanted;
  if (!wanted && reader.layer !== ALL) {
    setLayer(reader, ALL, { remember: false });
    return;
  }
  renderLeftOut(reader);
  const everyone = select.querySelector('option[value="everyone"]');
  for (const [id, group] of reader.groups) {
    const value = `group:${id}`;
    if (!select.querySelector(`option[value="${value}"]`)) {
      const option = document.createElement("option");
      option.value = value;
      option.dataset.label = option.dataset.short = `小组: ${group.name}`;
      select.insertBefore(option, everyone);
    }
  }
  const short = reader.narrow.matches;
  for (const option of select.options) {
    option.dataset.label ??= option.textContent;
    option.dataset.short ??= option.textContent.split(" ")[0];
    option.dataset.name ??= option.dataset.label;
    const count = reader.store.count(filterOf(reader, option.value));
    option.textContent = `${short ? option.dataset.short : option.dataset.label} (${count})`;
    option.setAttribute("aria-label", `${option.dataset.name} (${count})`);
  }
  select.value = reader.layer;
}

// "另有 2 条未显示 2 more not in this layer", next to the switcher, while the chosen layer
// leaves some of this post's annotations out.
function renderLeftOut(reader) {
  const notice = reader.article.querySelector("[data-layer-hidden]");
  if (!notice) return;
  const left = reader.layer === ALL ? 0 : reader.store.count(() => true) - reader.store.count();
  notice.hidden = left <= 0;
  for (const count of notice.querySelectorAll("[data-layer-hidden-count]")) count.textContent = String(left);
}

// A note I just saved that the layer would hide (a private note made in a group's layer):
// show everything rather than let it vanish under my hand.
export function reveal(reader, annotation) {
  if (!annotation || annotation.isReply || reader.store.shows(annotation)) return;
  setLayer(reader, ALL);
  toast("已切换到“全部”，以显示刚保存的批注。Switched to All to show what you just saved.");
}

// Before the annotations load: the remembered layer (checked once the groups are known).
export function watchLayers(reader) {
  const select = reader.article.querySelector("[data-layer]");
  reader.layer = remembered();
  reader.store.shows = filterOf(reader, reader.layer);
  if (!select) return;
  select.addEventListener("change", () => setLayer(reader, select.value));
  reader.article.querySelector("[data-layer-show-all]")?.addEventListener("click", () => {
    setLayer(reader, ALL);
    select.focus(); // the button is gone: the switcher, now on 全部 All, keeps the focus near
  });
}
