// The daily review's keys (templates/review/review.html): 1–4 or k s l n answer the card
// (each answer is a button of a plain form, so the page works without this), o opens the
// passage, ? lists the keys. Site-wide keys (/ search) stay with site.js.

import { typing } from "./keys.js";

const answers = document.querySelector("[data-review-answers]");
const dialog = document.querySelector("[data-keys-dialog]");

function buttonFor(key) {
  if (!answers) return null;
  for (const button of answers.querySelectorAll("[data-review-key]")) {
    if (button.dataset.reviewKey.split(" ").includes(key)) return button;
  }
  return null;
}

if (answers) {
  // One answer per card: a second key press while the first is on its way does nothing.
  answers.addEventListener("submit", (event) => {
    if (answers.dataset.sent) event.preventDefault();
    answers.dataset.sent = "1";
  });
  // Back to this page from the history (bfcache): it may be answered again.
  addEventListener("pageshow", () => { delete answers.dataset.sent; });
}

if (dialog) {
  for (const button of document.querySelectorAll("[data-keys-open]")) {
    button.addEventListener("click", () => dialog.showModal());
  }
  dialog.querySelector("[data-keys-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) {
    return;
  }
  if (event.key === "?") {
    event.preventDefault();
    if (dialog && !dialog.open) dialog.showModal();
    return;
  }
  if (dialog && dialog.open) return;
  if (event.key === "o") {
    const link = document.querySelector(".review-open");
    if (link) {
      event.preventDefault();
      location.assign(link.href);
    }
    return;
  }
  const button = buttonFor(event.key.toLowerCase());
  if (button) {
    event.preventDefault();
    button.focus();
    answers.requestSubmit(button);
  }
});
