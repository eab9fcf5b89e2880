// 目录 Contents: the body's headings (h2–h4) as links, when there are enough of them to be
// worth a list. Built here rather than on the server: the body's HTML stays the archive's,
// and the headings get their ids only in the page. Two copies: open above the text on a wide
// screen, and behind the dock's 目录 button while reading (a popover; a sheet on a phone,
// where the one above the text is left out: it would push the text down a row).

import { element } from "../annotator/dom.js";
import { UI_ATTR } from "../annotator/textmap.js";

const MINIMUM_HEADINGS = 3;
// A heading this close under the top of the screen is where the reader is.
const READING_LINE = 8;

function linksTo(headings) {
  return headings.map((heading) => element("li", { class: `toc-${heading.localName}` },
    element("a", { href: `#${heading.id}`, text: heading.textContent.trim() })));
}

// The dialog of the dock's button: the section being read is marked (and focused) on
// opening; choosing an entry closes it and goes there, even to the section it came from.
function watchDialog(details, dialog, openButton, headings) {
  const list = dialog.querySelector("[data-toc-dialog-list]");
  list.append(...linksTo(headings));
  const links = [...list.querySelectorAll("a")];
  openButton.addEventListener("click", () => {
    const at = headings.findLastIndex((heading) => heading.getBoundingClientRect().top <= READING_LINE);
    links.forEach((link, index) => link.toggleAttribute("aria-current", index === at));
    dialog.showModal();
    (links[at] || links[0]).focus();
  });
  list.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link) return;
    event.preventDefault();
    dialog.close();
    history.replaceState(history.state, "", link.hash);
    headings[links.indexOf(link)].scrollIntoView();
  });
  dialog.querySelector("[data-toc-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  // The button is for when the list above the text is out of sight (or left out).
  new IntersectionObserver(([entry]) => { openButton.hidden = entry.isIntersecting; }).observe(details);
}

export function buildContents(body, details, dialog, openButton) {
  const headings = [...body.querySelectorAll("h2, h3, h4")].filter(
    (heading) => heading.textContent.trim() && !heading.closest(`[${UI_ATTR}]`),
  );
  if (!details || headings.length < MINIMUM_HEADINGS) return;
  headings.forEach((heading, index) => {
    if (!heading.id) heading.id = `section-${index + 1}`;
  });
  details.querySelector("[data-toc-list]").append(...linksTo(headings));
  details.open = true;
  details.hidden = false;
  if (dialog && openButton) watchDialog(details, dialog, openButton, headings);
  // A link to a heading (#section-2) followed from elsewhere: its id exists only now.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && headings.includes(target)) target.scrollIntoView();
}
