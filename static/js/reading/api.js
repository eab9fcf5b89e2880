// The reading-state API (library/api.py): GET and PATCH /api/posts/<id>/state, and the POST
// form navigator.sendBeacon can send while the page goes away.

import { ApiError, csrfToken } from "../annotator/api.js";

async function call(method, url, data) {
  const headers = { Accept: "application/json" };
  if (data !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    keepalive: method !== "GET", // a save under way when the reader leaves still arrives
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const readingState = {
  get: (url) => call("GET", url),
  change: (url, changes) => call("PATCH", url, changes),
  // No headers and no method to choose: a form with the token, and the changes as "json".
  changeAsTheyLeave(url, changes) {
    const form = new FormData();
    form.append("csrfmiddlewaretoken", csrfToken());
    form.append("json", JSON.stringify(changes));
    return navigator.sendBeacon(url, form);
  },
};
