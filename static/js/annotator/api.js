// The annotations API, in the W3C shapes the server speaks (annotations/jsonld.py).

// The token is read from the cookie: pages are cached, so it cannot be written into them.
export function csrfToken() {
  const cookie = document.cookie.split("; ").find((item) => item.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

export class ApiError extends Error {
  // The server says what is wrong as sentences for a person (detail); field paths are for
  // scripts, and only a fallback here.
  constructor(status, data) {
    const sentences = (data.errors || []).map((e) => e.detail || `${e.field}: ${e.message}`);
    super(sentences.length ? sentences.join(" ") : data.error || `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

async function call(method, url, { data, etag } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (data !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// The id of an annotation from its IRI (…/api/annotations/12 → 12).
export const idOf = (iri) => Number(String(iri).split("/").pop());

// A W3C annotation → the fields the reader works with. A target without a selector is a
// page note: on the whole article, no passage (start = end = 0, nothing to paint). A reply
// (motivation "replying") targets its note's IRI, and rides along with its note.
export function fromJsonLd(item) {
  const selectors = (item.target && item.target.selector) || [];
  const quote = selectors.find((s) => s.type === "TextQuoteSelector");
  const position = selectors.find((s) => s.type === "TextPositionSelector");
  const bodies = item.body || [];
  const note = bodies.find((b) => b.purpose !== "tagging");
  const isReply = item.motivation === "replying";
  return {
    id: idOf(item.id),
    url: item.id,
    isReply,
    parent: isReply ? item.pizhu.parent ?? null : null,
    pageNote: !isReply && (item.pizhu.pageNote ?? !position),
    start: position ? position.start : 0,
    end: position ? position.end : 0,
    exact: quote ? quote.exact : "",
    kind: item.pizhu.kind,
    colour: item.pizhu.colour,
    colourName: item.pizhu.colourName,
    state: item.pizhu.state,
    visibility: item.pizhu.visibility || (item.pizhu.shared ? "everyone" : "private"),
    group: item.pizhu.group ?? null,
    groupName: item.pizhu.groupName || "",
    replies: item.pizhu.replies || 0,
    hidden: Boolean(item.pizhu.hidden),
    created: item.created,
    modified: item.modified,
    etag: `"${idOf(item.id)}.${item.pizhu.version}"`,
    body: note ? note.value : "",
    bodyHtml: item.pizhu.bodyHtml,
    language: note && note.language ? note.language : "",
    tags: bodies.filter((b) => b.purpose === "tagging").map((b) => b.value),
    creator: item.creator.nickname,
  };
}

// The reader's fields → a W3C annotation for POST, PUT or PATCH.
export function toJsonLd(fields, post) {
  const data = { pizhu: {} };
  for (const name of ["kind", "colour"]) {
    if (fields[name] !== undefined) data.pizhu[name] = fields[name];
  }
  // Who sees it: "private", "everyone", or "group" with the group's id (and only then).
  if (fields.visibility !== undefined) {
    data.pizhu.visibility = fields.visibility;
    if (fields.visibility === "group") data.pizhu.group = fields.group;
  }
  const source = () => new URL(document.querySelector("[data-annotator]").dataset.readerUrl, location.href).href;
  if (fields.pageNote) {
    // A page note: the article itself is the target, no selector.
    data.type = "Annotation";
    data.motivation = "commenting";
    data.pizhu.post = post;
    data.target = { source: source() };
  } else if (fields.start !== undefined) {
    data.pizhu.post = post;
    data.target = {
      source: source(),
      selector: [
        { type: "TextQuoteSelector", exact: fields.exact },
        { type: "TextPositionSelector", start: fields.start, end: fields.end },
      ],
    };
  }
  if (fields.body !== undefined || fields.tags !== undefined) {
    data.body = [];
    if (fields.body) {
      const note = { type: "TextualBody", value: fields.body, format: "text/markdown", purpose: "commenting" };
      if (fields.language) note.language = fields.language;
      data.body.push(note);
    }
    for (const tag of fields.tags || []) data.body.push({ type: "TextualBody", purpose: "tagging", value: tag });
  }
  return data;
}

// A reply to the annotation at ``parentUrl`` (W3C: motivation "replying", target its IRI);
// it takes its note's post and audience on the server.
export function replyJsonLd(parentUrl, body) {
  return {
    type: "Annotation",
    motivation: "replying",
    target: parentUrl,
    body: [{ type: "TextualBody", value: body, format: "text/markdown", purpose: "replying" }],
  };
}

export const api = {
  list: (base, post) => call("GET", `${base}?post=${post}`),
  groups: (url) => call("GET", url),
  reply: (base, parentUrl, body) => call("POST", base, { data: replyJsonLd(parentUrl, body) }),
  hide: (url) => call("POST", `${url}/hide`),
  unhide: (url) => call("DELETE", `${url}/hide`),
  flag: (url, reason) => call("POST", `${url}/flag`, { data: { reason } }),
  create: (base, data) => call("POST", base, { data }),
  update: (url, data, etag) => call("PATCH", url, { data, etag }),
  remove: (url, etag) => call("DELETE", url, { etag }),
  restore: (url) => call("POST", `${url}/restore`),
};
