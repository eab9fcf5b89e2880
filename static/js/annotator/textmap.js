// Positions in Post.text are Unicode code points over the article body's textContent; the
// DOM counts UTF-16 units. A TextMap converts between the two. Elements we add inside the
// body (cards, marked data-pizhu-ui) are not part of the text and are skipped.

export const UI_ATTR = "data-pizhu-ui";
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const HAS_SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

export function cpLength(text) {
  const pairs = text.match(SURROGATE_PAIR);
  return text.length - (pairs ? pairs.length : 0);
}

// The UTF-16 offset of code point ``cp`` in ``text``.
export function utf16Offset(text, cp) {
  if (!HAS_SURROGATE_PAIR.test(text)) return Math.min(cp, text.length);
  let units = 0;
  for (let seen = 0; seen < cp && units < text.length; seen++) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
  }
  return units;
}

export function textNodes(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (node.nodeType === Node.TEXT_NODE) return NodeFilter.FILTER_ACCEPT;
      return node.hasAttribute(UI_ATTR) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
    },
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  return nodes;
}

export class TextMap {
  constructor(root) {
    this.root = root;
    this.nodes = textNodes(root);
    this.starts = [];
    this.lengths = [];
    let cp = 0;
    for (const node of this.nodes) {
      const length = cpLength(node.data);
      this.starts.push(cp);
      this.lengths.push(length);
      cp += length;
    }
    this.length = cp;
  }

  text() {
    return this.nodes.map((node) => node.data).join("");
  }

  // A DOM boundary point (container, offset) → a code point position in the text.
  position(container, offset) {
    if (container.nodeType === Node.TEXT_NODE) {
      const index = this.nodes.indexOf(container);
      if (index >= 0) return this.starts[index] + cpLength(container.data.slice(0, offset));
    }
    const point = document.createRange();
    point.setStart(container, offset);
    for (let i = 0; i < this.nodes.length; i++) {
      if (point.comparePoint(this.nodes[i], 0) > 0) return this.starts[i];
    }
    return this.length;
  }

  // The selection's range as code point positions, or null when it is not inside the root.
  rangePositions(range) {
    if (!this.root.contains(range.commonAncestorContainer)) return null;
    const start = this.position(range.startContainer, range.startOffset);
    const end = this.position(range.endContainer, range.endOffset);
    return end > start ? { start, end } : null;
  }

  // Text nodes (with UTF-16 offsets) covering code points [start, end).
  segments(start, end) {
    const found = [];
    for (let i = 0; i < this.nodes.length; i++) {
      const nodeStart = this.starts[i];
      const nodeEnd = nodeStart + this.lengths[i];
      if (nodeEnd <= start || nodeStart >= end || this.lengths[i] === 0) continue;
      const node = this.nodes[i];
      found.push({
        node,
        from: utf16Offset(node.data, Math.max(start, nodeStart) - nodeStart),
        to: utf16Offset(node.data, Math.min(end, nodeEnd) - nodeStart),
      });
    }
    return found;
  }
}

// Text directly inside these cannot hold a <mark> (it is layout whitespace).
const NO_MARK_PARENTS = new Set(["TABLE", "THEAD", "TBODY", "TFOOT", "TR", "UL", "OL", "DL"]);
const BLOCKS = new Set([
  "P", "DIV", "LI", "DD", "DT", "H1", "H2", "H3", "H4", "H5", "H6", "BLOCKQUOTE", "PRE",
  "FIGURE", "FIGCAPTION", "TABLE", "TR", "TD", "TH", "UL", "OL", "DL", "HR", "SECTION",
  "ARTICLE", "HEADER", "FOOTER", "ASIDE", "DETAILS", "SUMMARY", "CAPTION",
]);

// Whitespace between two blocks (the line break the cleaner keeps there) is not part of any
// line: a <mark> around it would be an empty box between paragraphs.
function betweenBlocks(node) {
  if (node.data.trim()) return false;
  if (NO_MARK_PARENTS.has(node.parentNode.nodeName)) return true;
  const before = node.previousSibling;
  const after = node.nextSibling;
  return Boolean((before && BLOCKS.has(before.nodeName)) || (after && BLOCKS.has(after.nodeName)));
}

// Wrap code points [start, end) of root's text in elements made by makeMark(); across
// inline markup and block boundaries, one element per text node. Returns the elements.
export function wrap(root, start, end, makeMark) {
  const marks = [];
  for (const segment of new TextMap(root).segments(start, end)) {
    let node = segment.node;
    if (betweenBlocks(node)) continue;
    if (segment.to < node.length) node.splitText(segment.to);
    if (segment.from > 0) node = node.splitText(segment.from);
    const mark = makeMark();
    node.parentNode.insertBefore(mark, node);
    mark.appendChild(node);
    marks.push(mark);
  }
  return marks;
}

export function unwrap(marks) {
  const parents = new Set();
  for (const mark of marks) {
    const parent = mark.parentNode;
    if (!parent) continue;
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    mark.remove();
    parents.add(parent);
  }
  for (const parent of parents) parent.normalize();
}
