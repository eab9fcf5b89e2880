// Keyboard shortcuts on every page (site.js, the reader, the annotator, the review) stay
// out of the way while the reader is typing.

export function typing(event) {
  const target = event.target;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
