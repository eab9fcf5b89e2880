// One message at a time at the bottom of the screen, with an optional action (undo).

import { element } from "./dom.js";

export const toastBox = element("div", { class: "pz-toast", role: "status", "aria-live": "polite", hidden: true });
let timer = null;

export function toast(message, action) {
  toastBox.replaceChildren(element("span", { text: message }));
  if (action) {
    const button = element("button", { type: "button", text: action.label });
    button.addEventListener("click", () => { toastBox.hidden = true; action.run(); });
    toastBox.append(" ", button);
  }
  toastBox.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => { toastBox.hidden = true; }, 10000);
}
