// Where the reader is in the body. A position is the code point, in Post.text, of the first
// line at the top of the screen: code points over the body's text as annotations count them
// (annotator/textmap.js), so it survives restyling, the 简/繁 switch and a re-import.

import { TextMap, utf16Offset } from "../annotator/textmap.js";

// A line has been read once it is above this many pixels from the top; the line put back at
// the top on resuming stands a little lower, so that finding it again gives the same position.
const READ_LINE = 4;
const RESUME_LINE = 6;

function rangeRects(node, from, to) {
  const range = document.createRange();
  range.setStart(node, from);
  range.setEnd(node, to);
  return range.getClientRects();
}

// The first index in [0, count) for which below(i) is true, where below is false, then true
// (lines go down the page); null means "not laid out" (collapsed whitespace), and is skipped.
function firstBelow(count, below) {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >> 1;
    let probe = middle;
    let result = null;
    while (probe < high && (result = below(probe)) === null) probe++;
    if (result === null) high = middle;
    else if (result) high = probe;
    else low = probe + 1;
  }
  while (low < count && below(low) === null) low++;
  return low;
}

function bottomBelow(rects, line) {
  return rects.length ? rects[rects.length - 1].bottom > line : null;
}

// The code point at the start of the first line that reaches below the top of the screen.
export function firstVisiblePosition(body) {
  const map = new TextMap(body);
  const { nodes } = map;
  const index = firstBelow(nodes.length, (i) => bottomBelow(rangeRects(nodes[i], 0, nodes[i].length), READ_LINE));
  if (index >= nodes.length) return map.length;
  const node = nodes[index];
  let offset = firstBelow(node.length, (i) => bottomBelow(rangeRects(node, i, i + 1), READ_LINE));
  const code = node.data.charCodeAt(offset);
  if (code >= 0xdc00 && code <= 0xdfff) offset--; // the second half of a pair: its first
  return map.position(node, Math.min(offset, node.length));
}

// The box of the first laid-out character at or after code point ``position``.
function boxAt(body, position) {
  const map = new TextMap(body);
  for (let i = 0; i < map.nodes.length; i++) {
    if (map.starts[i] + map.lengths[i] <= position) continue;
    const node = map.nodes[i];
    const from = map.starts[i] >= position ? 0 : utf16Offset(node.data, position - map.starts[i]);
    for (let offset = from; offset < node.length; offset++) {
      const rects = rangeRects(node, offset, offset + 1);
      if (rects.length && rects[0].height) return rects[0];
    }
  }
  return null;
}

// Scroll so that the line holding ``position`` is at the top; the scrollY it went to.
export function scrollToPosition(body, position) {
  const box = boxAt(body, position);
  if (box) window.scrollTo(0, Math.max(0, window.scrollY + box.top - RESUME_LINE));
  return window.scrollY;
}

// How far through the body the screen is: 0 with its top at the top of the screen (or
// lower), 1 once its end is in sight.
export function progressThrough(body) {
  const box = body.getBoundingClientRect();
  const span = box.height - window.innerHeight;
  if (span <= 0) return box.bottom <= window.innerHeight ? 1 : 0;
  return Math.min(1, Math.max(0, -box.top / span));
}

export function endInSight(body) {
  return body.getBoundingClientRect().bottom <= window.innerHeight + 1;
}
