/*
 * The results API's client: GETs that remember each answer's ETag (so that an unchanged
 * answer is a 304 with no body), POSTs with the CSRF token, and the URLs of its endpoints.
 * A 401, or a 403 for missing credentials, sends the user to the log-in page.
 */

// The longest text of a non-JSON answer shown as an error: longer (or HTML) is a server's page.
const SHORT_TEXT = 200;

/**
 * An answer other than 2xx: its status, and the API's message as the error's message. An
 * answer that is not the API's JSON (a proxy's or server's HTML page: "414 URI Too Long")
 * is shown as its status and reason only.
 */
export class ApiError extends Error {
  constructor(status, body, reason = "") {
    const text =
      typeof body === "string"
        ? shortText(body) ?? `HTTP ${status} ${reason}`.trim()
        : body?.detail ??
          Object.entries(body ?? {})
            .map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`)
            .join("; ");
    super(text || `HTTP ${status}`);
    this.status = status;
  }
}

/** Return ``text`` when it is a short line of plain text, else null. */
function shortText(text) {
  const line = text.trim();
  return line.length <= SHORT_TEXT && !line.includes("<") && !line.includes("\n") ? line : null;
}

/** Return a response's body: parsed when it is JSON, else its text. */
async function readBody(response) {
  return response.headers.get("content-type")?.includes("json") ? response.json() : response.text();
}

/** Return ``path`` with the non-empty ``params`` as its query string. */
export function apiUrl(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  return url.pathname + url.search;
}

/** Return the ``cursor`` parameter of a page link of the API (``next``, ``previous``), or null. */
export function cursorOf(link) {
  return link ? new URL(link, location.origin).searchParams.get("cursor") : null;
}

/**
 * A client of the API at ``config.api``: ``get`` and ``post``, ``taskUrl``, and the ETags
 * of the answers it has read (``etags``: request key -> {etag, body}).
 */
export class ApiClient {
  constructor(config, csrfToken) {
    this.config = config;
    this.csrfToken = csrfToken;
    this.etags = new Map();
    // Task ids that name a route beside the detail, and the dot segments.
    this.listRoutes = new Set([...config.listRoutes, ".", ".."]);
  }

  /** Send the user to the project's log-in page, and back to this view after. */
  toLogin() {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`${this.config.loginUrl}?next=${next}`);
  }

  /**
   * Return {body, changed, headers} of a GET. With ``key``, the last ETag under that key is
   * sent as If-None-Match, and a 304 gives the body kept from the last 200 (changed: false).
   */
  async get(url, key = url) {
    const headers = { Accept: "application/json" };
    const known = key ? this.etags.get(key) : undefined;
    if (known) headers["If-None-Match"] = known.etag;
    const response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
    if (response.status === 304 && known) {
      return { body: known.body, changed: false, headers: response.headers };
    }
    const body = await readBody(response);
    if (response.status === 401 || (response.status === 403 && /credentials/i.test(body?.detail ?? ""))) {
      this.toLogin();
      throw new ApiError(response.status, "not logged in");
    }
    if (!response.ok) throw new ApiError(response.status, body, response.statusText);
    const etag = response.headers.get("ETag");
    if (key && etag) this.etags.set(key, { etag, body });
    return { body, changed: true, headers: response.headers };
  }

  /** POST ``data`` as JSON with the CSRF token; return the answer's body. */
  async post(url, data) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        [this.config.csrfHeader]: this.csrfToken,
      },
      body: JSON.stringify(data ?? {}),
    });
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body, response.statusText);
    return body;
  }

  /** The task list's URL. */
  get tasks() {
    return this.config.api.tasks;
  }

  /** The group list's URL. */
  get groups() {
    return this.config.api.groups;
  }

  /**
   * The detail URL of any task id, as the API writes it (``url``): an id that names a
   * route beside the detail (``stats``...), a dot segment, or one holding ``/`` or ``%``
   * is escaped once for the API's view and once more for the URL.
   */
  taskUrl(taskId) {
    let segment = taskId;
    if (this.listRoutes.has(taskId)) {
      const first = taskId.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
      segment = `%${first}${encodeURIComponent(taskId.slice(1))}`;
    } else if (/[/%]/.test(taskId)) {
      segment = encodeURIComponent(taskId);
    }
    return `${this.config.api.tasks}${encodeURIComponent(segment)}/`;
  }
}
