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

// A W3C annotation → the fields the reader works with. A target without a selector is a
// page note: on the whole article, no passage (start = end = 0, nothing to paint).
export function fromJsonLd(item) {
  const selectors = item.target.selector || [];
  const quote = selectors.find((s) => s.type === "TextQuoteSelector");
  const position = selectors.find((s) => s.type === "TextPositionSelector");
  const bodies = item.body || [];
  const note = bodies.find((b) => b.purpose !== "tagging");
  return {
    id: Number(item.id.split("/").pop()),
    url: item.id,
    pageNote: item.pizhu.pageNote ?? !position,
    start: position ? position.start : 0,
    end: position ? position.end : 0,
    exact: quote ? quote.exact : "",
    kind: item.pizhu.kind,
    colour: item.pizhu.colour,
    colourName: item.pizhu.colourName,
    state: item.pizhu.state,
    shared: item.pizhu.shared,
    etag: `"${item.id.split("/").pop()}.${item.pizhu.version}"`,
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
  for (const name of ["kind", "colour", "shared"]) {
    if (fields[name] !== undefined) data.pizhu[name] = fields[name];
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

export const api = {
  list: (base, post) => call("GET", `${base}?post=${post}`),
  create: (base, data) => call("POST", base, { data }),
  update: (url, data, etag) => call("PATCH", url, { data, etag }),
  remove: (url, etag) => call("DELETE", url, { etag }),
  restore: (url) => call("POST", `${url}/restore`),
};
