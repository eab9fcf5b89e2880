// Behaviour for every page, hooked up by data- attributes: theme toggle, keyboard shortcuts,
// click-to-load images. No inline scripts anywhere (the CSP forbids them).

import { typing } from "./keys.js";

const root = document.documentElement;

function currentTheme() {
  if (root.dataset.theme) return root.dataset.theme;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

for (const button of document.querySelectorAll("[data-theme-toggle]")) {
  const label = () => button.setAttribute("aria-pressed", String(currentTheme() === "dark"));
  label();
  button.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem("pizhu-theme", next); } catch (e) { /* not remembered */ }
    label();
  });
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) {
    return;
  }
  if (event.key === "/") {
    const input = document.querySelector("[data-search-input]");
    if (input) {
      event.preventDefault();
      input.focus();
      input.select();
    }
    return;
  }
  const link = { j: "[data-key-next]", k: "[data-key-prev]" }[event.key];
  const target = link && document.querySelector(link);
  if (target) location.assign(target.href);
});

// PIZHU_REMOTE_IMAGES=click: a placeholder becomes its image only when asked.
document.addEventListener("click", (event) => {
  const placeholder = event.target.closest("[data-load-image]");
  if (!placeholder) return;
  const img = document.createElement("img");
  img.src = placeholder.dataset.loadImage;
  img.alt = placeholder.dataset.alt || "";
  img.loading = "lazy";
  img.decoding = "async";
  img.referrerPolicy = "no-referrer";
  placeholder.replaceWith(img);
});

// A button that copies the text of the element its data-copy names (a new API token).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "已复制 Copied";
  } catch (error) {
    // No clipboard (an insecure origin): select the text for the reader to copy.
    getSelection().selectAllChildren(source);
    button.textContent = "已选中，请复制 Selected: copy it";
  }
});

// A form that asks before it does something that cannot be undone (revoking a token).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// On a narrow screen the list's filters sit above the list, folded: a 筛选 Filters button.
// Not when a filter is in error: its message must be seen.
if (matchMedia("(max-width: 63.99rem)").matches) {
  for (const facets of document.querySelectorAll("[data-facets]")) {
    if (!facets.querySelector(".field-error")) facets.open = false;
  }
}

// The header's 小组 Groups menu (<details data-site-menu>) closes as a menu does: on a click
// or tap anywhere outside it, when the focus moves out of it, and on Esc (the focus goes
// back to its summary when it was inside). A <details> alone closes only on a second click
// of its summary.
for (const menu of document.querySelectorAll("[data-site-menu]")) {
  menu.addEventListener("focusout", (event) => {
    // relatedTarget is null when the focus leaves the page or lands on nothing focusable:
    // the pointerdown below decides then.
    if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) {
      menu.open = false;
    }
  });
}
// pointerdown, not click: iOS sends no click for a tap on plain text.
document.addEventListener("pointerdown", (event) => {
  for (const menu of document.querySelectorAll("[data-site-menu][open]")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("[data-site-menu][open]")) {
    const inside = menu.contains(document.activeElement);
    menu.open = false;
    if (inside) menu.querySelector("summary").focus();
  }
});
