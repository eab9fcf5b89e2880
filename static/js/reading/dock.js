// The reading dock (site.css .reading-dock): in the right gutter on a wide screen, at the
// bottom right on a phone. What it shows must stay off the text: notes (time left, the
// resume notice) show for a moment and fade; what stays is two small buttons, 目录 Contents
// (contents.js) and ↑ back to top, which appears once the first screen is scrolled past.

const FADE_MS = 300; // as long as the fade in site.css

// A note shown for a moment: show(ms) shows it (again) and fades it ``ms`` later (never,
// without ``ms``); hide() fades it now.
export function fleeting(node) {
  let timer = 0;
  const note = {
    show(ms) {
      clearTimeout(timer);
      node.classList.remove("is-fading");
      node.hidden = false;
      if (ms) timer = setTimeout(note.hide, ms);
    },
    hide() {
      if (node.hidden) return;
      clearTimeout(timer);
      node.classList.add("is-fading");
      timer = setTimeout(() => {
        node.hidden = true;
        node.classList.remove("is-fading");
      }, FADE_MS);
    },
  };
  return note;
}

export function watchBackToTop(button) {
  let frame = 0;
  const update = () => {
    frame = 0;
    button.hidden = window.scrollY < window.innerHeight;
  };
  const later = () => { if (!frame) frame = requestAnimationFrame(update); };
  addEventListener("scroll", later, { passive: true });
  addEventListener("resize", later);
  button.addEventListener("click", () => window.scrollTo(0, 0));
  update();
}
