/*
 * The results dashboard: plain JavaScript, no library, no build step.
 *
 * It reads the public results API only, with the user's session:
 *   GET tasks/metadata/           fields, filters, choices, orderings, actions: the controls
 *   GET tasks/?...                the table (cursor pages; ordering from the column headers)
 *   GET tasks/?...&updated_since= live deltas, with If-None-Match: idle polls are 304s
 *   GET tasks/<id>/               the detail panel
 *   GET tasks/stats/?group_by=status            counts by status
 *   GET tasks/stats/?group_by=status&interval=  the chart
 *   GET tasks/stats/?group_by=task_name         the task name suggestions
 *   GET tasks/?task_id__in=...    children of a task or a group, with their states
 *   GET groups/                   groups and chords
 *   POST tasks/<id>/revoke/, retry/   when tasks/metadata/ lists them for this user
 * Its state lives in the page's query string, so a link reopens the same view.
 */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const config = JSON.parse($("dashboard-config").textContent);
  /** Return ``text`` in the page's language (config.messages), with its {name} placeholders filled. */
  const t = (text, values = {}) =>
    (config.messages?.[text] ?? text).replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const language = document.documentElement.lang || "en";
  const csrfToken = document.querySelector("meta[name=csrf-token]")?.content ?? "";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PAGE_SIZE = 25;
  const STATUS_ORDER = ["PENDING", "RECEIVED", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"];
  const FINAL_STATES = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
  const SEARCH_FIELDS = new Set(["task_id", "task_name"]);
  const CONTENT_KINDS = new Set(["json", "text"]);
  const MAIN_FILTERS = new Set(["status", "date_created"]);
  const RANGES = {
    "15m": { span: 15 * 60e3, interval: "minute" },
    "1h": { span: 3600e3, interval: "minute" },
    "6h": { span: 6 * 3600e3, interval: "hour" },
    "24h": { span: 24 * 3600e3, interval: "hour" },
    "7d": { span: 7 * 86400e3, interval: "day" },
    "30d": { span: 30 * 86400e3, interval: "day" },
  };
  const STEPS = { minute: 60e3, hour: 3600e3, day: 86400e3 };
  // Page parameters that are not API filters.
  const PAGE_PARAMS = new Set(["view", "task", "group", "ordering", "cursor", "gcursor", "range", "live", "id", "name"]);

  const state = {
    meta: null,
    fields: new Map(), // name -> field description
    filterParams: new Set(), // every API filter parameter the controls may set
    labels: new Map(), // field name -> Map(value -> label) for selects
    rows: new Map(), // task_id -> row shown in the table
    since: null, // updated_since of the next delta
    sinceKey: null, // the filters the delta belongs to
    next: null,
    previous: null,
    gnext: null,
    gprevious: null,
    detail: null, // the task shown in the detail panel
    timer: null,
    busy: false,
    namesAt: 0,
    chartKey: null,
  };
  const etags = new Map(); // request key -> {etag, body, headers}

  // ------------------------------------------------------------------ the API

  class ApiError extends Error {
    constructor(status, body) {
      const text =
        typeof body === "string"
          ? body
          : body?.detail ??
            Object.entries(body ?? {})
              .map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`)
              .join("; ");
      super(text || `HTTP ${status}`);
      this.status = status;
    }
  }

  function toLogin() {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`${config.loginUrl}?next=${next}`);
  }

  /** Return a response's body: parsed when it is JSON, else its text. */
  async function readBody(response) {
    return response.headers.get("content-type")?.includes("json") ? response.json() : response.text();
  }

  /**
   * Return {body, changed, headers} of a GET. With ``key``, the last ETag under that key is
   * sent as If-None-Match, and a 304 gives the body kept from the last 200 (changed: false).
   */
  async function get(url, key = url) {
    const headers = { Accept: "application/json" };
    const known = key ? etags.get(key) : undefined;
    if (known) headers["If-None-Match"] = known.etag;
    const response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
    if (response.status === 304 && known) {
      return { body: known.body, changed: false, headers: response.headers };
    }
    const body = await readBody(response);
    if (response.status === 401 || (response.status === 403 && /credentials/i.test(body?.detail ?? ""))) {
      toLogin();
      throw new ApiError(response.status, "not logged in");
    }
    if (!response.ok) throw new ApiError(response.status, body);
    const etag = response.headers.get("ETag");
    if (key && etag) etags.set(key, { etag, body });
    return { body, changed: true, headers: response.headers };
  }

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        [config.csrfHeader]: csrfToken,
      },
      body: JSON.stringify(data ?? {}),
    });
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  /** Return ``path`` with the non-empty ``params`` as its query string. */
  function apiUrl(path, params = {}) {
    const url = new URL(path, location.origin);
    for (const [name, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
    }
    return url.pathname + url.search;
  }

  /**
   * The detail URL of any task id, as the API writes it (``url``): an id that names a
   * route beside the detail (``stats``...), a dot segment, or one holding ``/`` or ``%``
   * is escaped once for the API's view and once more for the URL.
   */
  function taskUrl(taskId) {
    const listRoutes = new Set([...config.listRoutes, ".", ".."]);
    let segment = taskId;
    if (listRoutes.has(taskId)) {
      const first = taskId.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
      segment = `%${first}${encodeURIComponent(taskId.slice(1))}`;
    } else if (/[/%]/.test(taskId)) {
      segment = encodeURIComponent(taskId);
    }
    return `${config.api.tasks}${encodeURIComponent(segment)}/`;
  }

  // ------------------------------------------------------------------ the page's URL

  const pageParams = () => new URLSearchParams(location.search);

  /** Change the page's query string (``null`` removes a parameter); push a history entry. */
  function setPageParams(changes, { push = true } = {}) {
    const params = pageParams();
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === "") params.delete(name);
      else params.set(name, value);
    }
    const query = params.toString();
    const url = query ? `?${query}` : location.pathname;
    if (url === location.search || (url === location.pathname && !location.search)) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  /** Return the API filters of the page's state: the controls' parameters and the searches. */
  function apiFilters({ without = [] } = {}) {
    const params = pageParams();
    const filters = {};
    for (const [name, value] of params) {
      if (state.filterParams.has(name) && !without.includes(name)) filters[name] = value;
    }
    const id = params.get("id")?.trim();
    if (id) {
      const exact = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
      filters[exact ? "task_id" : "task_id__startswith"] = id;
    }
    const name = params.get("name")?.trim();
    if (name) filters.task_name__icontains = name;
    return filters;
  }

  const filterKey = () => JSON.stringify(apiFilters());

  // ------------------------------------------------------------------ time, in the project's time zone

  let timeZone = "UTC";
  let partsFormat = null;

  function setTimeZone(name) {
    try {
      partsFormat = new Intl.DateTimeFormat("en-US", {
        timeZone: name,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
      timeZone = name;
    } catch {
      setTimeZone("UTC");
    }
  }

  function zoneParts(ms) {
    const parts = {};
    for (const { type, value } of partsFormat.formatToParts(new Date(ms))) parts[type] = value;
    return parts;
  }

  /** Return the project's time zone's offset from UTC at ``ms``, in milliseconds. */
  function zoneOffset(ms) {
    const p = zoneParts(ms);
    const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return wall - Math.floor(ms / 1000) * 1000;
  }

  /** Return a datetime-local value (wall time in the project's zone) as ISO 8601 UTC. */
  function wallToIso(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
    if (!match) return "";
    const [, y, mo, d, h, mi, s = "0"] = match;
    const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
    let utc = wall - zoneOffset(wall);
    utc = wall - zoneOffset(utc);
    return new Date(utc).toISOString();
  }

  /** Return an ISO date-time as a datetime-local value in the project's zone. */
  function isoToWall(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return "";
    const p = zoneParts(ms);
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  }

  function fullDate(iso) {
    const ms = Date.parse(iso);
    const p = zoneParts(ms);
    const millis = String(new Date(ms).getUTCMilliseconds()).padStart(3, "0");
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${millis}`;
  }

  const relativeFormat = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "long" });

  function relative(iso) {
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    const abs = Math.abs(seconds);
    if (abs < 45) return relativeFormat.format(Math.round(seconds), "second");
    if (abs < 2700) return relativeFormat.format(Math.round(seconds / 60), "minute");
    if (abs < 79200) return relativeFormat.format(Math.round(seconds / 3600), "hour");
    return relativeFormat.format(Math.round(seconds / 86400), "day");
  }

  /** Return a <time> with the full date in the project's zone and, below, how long ago. */
  function dateNode(iso) {
    if (!iso) return document.createTextNode("—");
    const time = document.createElement("time");
    time.dateTime = iso;
    time.className = "date";
    const full = document.createElement("span");
    full.className = "full";
    full.textContent = fullDate(iso);
    const ago = document.createElement("span");
    ago.className = "rel";
    ago.dataset.ts = iso;
    ago.textContent = relative(iso);
    time.append(full, " ", ago);
    return time;
  }

  function refreshRelativeTimes() {
    for (const span of document.querySelectorAll(".rel[data-ts]")) span.textContent = relative(span.dataset.ts);
  }

  function seconds(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1) return `${Math.round(value * 1000)} ms`;
    if (value < 120) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
    if (value < 7200) return `${(value / 60).toFixed(1)} min`;
    return `${(value / 3600).toFixed(1)} h`;
  }

  // ------------------------------------------------------------------ rendering helpers

  function el(name, attributes = {}, ...children) {
    const element = document.createElement(name);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "className") element.className = value;
      else if (key === "dataset") Object.assign(element.dataset, value);
      else element.setAttribute(key, value === true ? "" : value);
    }
    element.append(...children.filter((child) => child !== null && child !== undefined));
    return element;
  }

  function badge(status) {
    return el("span", { className: `badge status-${String(status).toLowerCase()}` }, status ?? "—");
  }

  function showError(message) {
    $("error").textContent = message ?? "";
    $("error").hidden = !message;
  }

  function valueText(field, value) {
    if (value === null || value === undefined || value === "") return "—";
    const labels = state.labels.get(field.name);
    if (labels?.has(String(value))) return labels.get(String(value));
    if (field.kind === "foreign_key") return `#${value}`;
    if (field.kind === "boolean") return value ? t("yes") : t("no");
    return String(value);
  }

  function contentText(value) {
    if (value === null || value === undefined) return "—";
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  // ------------------------------------------------------------------ filters from the metadata

  function control(param, input, labelText) {
    input.dataset.param = param;
    input.id = `filter-${param}`;
    input.name = param;
    state.filterParams.add(param);
    return el("label", { className: "field" }, labelText, input);
  }

  function selectFor(field, param) {
    const select = el("select");
    select.append(new Option(t("any"), ""));
    for (const choice of field.choices) select.append(new Option(choice.label, choice.value));
    return control(param, select, field.label);
  }

  function rangeFor(field, filters, type) {
    const box = el("fieldset", { className: "range" }, el("legend", {}, type === "date" ? `${field.label} (${timeZone})` : field.label));
    for (const [lookup, word] of [["gte", t("from")], ["lte", t("to")]]) {
      if (!filters[lookup]) continue;
      const input =
        type === "date"
          ? el("input", { type: "datetime-local", step: "1", dataset: { kind: "date" } })
          : el("input", { type: "number", step: "any", inputmode: "decimal" });
      box.append(control(filters[lookup], input, word));
    }
    return box;
  }

  /** Build a control for every filterable field the metadata lists (the searches aside). */
  function buildFilters(meta) {
    const more = $("filter-more");
    // A phone shows the two searches; the other filters wait behind "More filters".
    const main = window.matchMedia("(max-width: 720px)").matches ? more : $("filter-main");
    for (const field of meta.fields) {
      const filters = field.filters;
      if (SEARCH_FIELDS.has(field.name) || Object.keys(filters).length === 0) continue;
      let node = null;
      if (field.choices && filters.exact) {
        state.labels.set(field.name, new Map(field.choices.map((c) => [String(c.value), c.label])));
        node = selectFor(field, filters.exact);
      } else if (field.kind === "boolean" && filters.exact) {
        const select = el("select");
        select.append(new Option(t("any"), ""), new Option(t("yes"), "true"), new Option(t("no"), "false"));
        node = control(filters.exact, select, field.label);
      } else if ((field.kind === "number" || field.kind === "date") && (filters.gte || filters.lte)) {
        node = rangeFor(field, filters, field.kind);
      } else if (field.kind === "foreign_key" && filters.exact) {
        node = control(filters.exact, el("input", { type: "number", step: "1", inputmode: "numeric" }), `${field.label} (id)`);
      } else if (filters.icontains || filters.exact) {
        const param = filters.icontains ?? filters.exact;
        const hint = filters.icontains ? ` ${t("(contains)")}` : "";
        node = control(param, el("input", { type: "search", spellcheck: "false" }), `${field.label}${hint}`);
      }
      if (!node) continue;
      (field.extra || MAIN_FILTERS.has(field.name) ? main : more).append(node);
    }
  }

  /** Set the controls from the page's query string. */
  function readControls() {
    const params = pageParams();
    for (const input of document.querySelectorAll("#filters [data-param]")) {
      const value = params.get(input.dataset.param) ?? "";
      if (input.tagName === "SELECT" && value && ![...input.options].some((o) => o.value === value)) {
        input.append(new Option(value, value));
      }
      input.value = input.dataset.kind === "date" && value ? isoToWall(value) : value;
    }
    $("search-id").value = params.get("id") ?? "";
    $("search-name").value = params.get("name") ?? "";
    $("chart-range").value = RANGES[params.get("range")] ? params.get("range") : "1h";
    $("live").checked = params.get("live") !== "0";
    if ([...document.querySelectorAll("#filter-more [data-param]")].some((input) => input.value)) {
      $("more-filters").open = true;
    }
  }

  /** Put the controls' values in the page's query string (a new history entry). */
  function writeControls() {
    const changes = { cursor: null, id: $("search-id").value.trim(), name: $("search-name").value.trim() };
    for (const input of document.querySelectorAll("#filters [data-param]")) {
      const value = input.value.trim();
      changes[input.dataset.param] = input.dataset.kind === "date" && value ? wallToIso(value) : value;
    }
    setPageParams(changes);
  }

  // ------------------------------------------------------------------ the table

  function columns() {
    const has = (name) => state.fields.has(name);
    const field = (name) => state.fields.get(name);
    const list = [
      { name: "status", label: t("Status"), render: (row) => badge(row.status) },
      { name: "task_name", label: t("Task"), render: (row) => taskLink(row, row.task_name ?? t("(unnamed)")) },
    ];
    for (const extra of state.meta.fields.filter((f) => f.extra && !CONTENT_KINDS.has(f.kind))) {
      list.push({ name: extra.name, label: extra.label, render: (row) => valueText(extra, row[extra.name]) });
    }
    list.push(
      { name: "date_created", label: t("Created ({zone})", { zone: timeZone }), render: (row) => dateNode(row.date_created) },
      { name: "date_done", label: t("Last change"), render: (row) => dateNode(row.date_done) },
      { name: "runtime", label: t("Runtime"), render: (row) => seconds(row.runtime) },
    );
    if (has("wait")) list.push({ name: "wait", label: field("wait").label ?? t("Wait"), render: (row) => seconds(row.wait) });
    list.push(
      { name: "worker", label: t("Worker"), render: (row) => row.worker ?? "—" },
      { name: "task_id", label: t("Task id"), render: (row) => el("code", { title: row.task_id }, row.task_id.slice(0, 8)) },
    );
    return list.filter((column) => has(column.name));
  }

  function taskLink(row, text) {
    const params = pageParams();
    params.set("task", row.task_id);
    return el("a", { href: `?${params}`, className: "task-link", dataset: { taskId: row.task_id } }, text);
  }

  function currentOrdering() {
    return pageParams().get("ordering") || state.meta.default_ordering.join(",");
  }

  function buildHeader() {
    const ordering = currentOrdering().split(",")[0];
    const tr = $("results").tHead.rows[0];
    tr.replaceChildren();
    // A phone hides the headers: the same orderings in a select.
    const sortSelect = $("sort-select");
    sortSelect.replaceChildren(
      ...columns()
        .filter((column) => state.fields.get(column.name)?.orderable)
        .flatMap((column) => {
          const label = column.label.replace(/ \(.*\)$/, "");
          return [new Option(`${label} ↓`, `-${column.name}`), new Option(`${label} ↑`, column.name)];
        }),
    );
    sortSelect.value = ordering;
    for (const column of columns()) {
      const th = el("th", { scope: "col", dataset: { field: column.name } });
      const orderable = state.fields.get(column.name)?.orderable;
      if (orderable) {
        const direction = ordering === column.name ? "ascending" : ordering === `-${column.name}` ? "descending" : null;
        if (direction) th.setAttribute("aria-sort", direction);
        const arrow = direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : "";
        th.append(el("button", { type: "button", className: "sort", dataset: { field: column.name } }, column.label, el("span", { "aria-hidden": "true" }, arrow)));
      } else {
        th.textContent = column.label;
      }
      tr.append(th);
    }
  }

  function rowNode(row) {
    const tr = el("tr", { dataset: { taskId: row.task_id } });
    if (row.task_id === state.detail?.task_id) tr.classList.add("selected");
    for (const column of columns()) {
      const label = column.label.replace(/ \(.*\)$/, "");
      tr.append(el("td", { className: `col-${column.name}`, dataset: { label } }, column.render(row)));
    }
    return tr;
  }

  function renderRows(rows) {
    state.rows = new Map(rows.map((row) => [row.task_id, row]));
    $("results").tBodies[0].replaceChildren(...rows.map(rowNode));
    $("empty").hidden = rows.length > 0;
  }

  function cursorOf(link) {
    return link ? new URL(link, location.origin).searchParams.get("cursor") : null;
  }

  async function loadTable() {
    const params = pageParams();
    const url = apiUrl(config.api.tasks, {
      ...apiFilters(),
      ordering: params.get("ordering"),
      cursor: params.get("cursor"),
      page_size: PAGE_SIZE,
    });
    const { body, changed, headers } = await get(url, "table");
    if (!params.get("cursor") && (state.sinceKey !== filterKey() || state.since === null)) {
      state.since = headers.get("Next-Updated-Since");
      state.sinceKey = filterKey();
    }
    if (!changed && state.rows.size === body.results.length) return;
    state.next = body.next;
    state.previous = body.previous;
    buildHeader();
    renderRows(body.results);
    $("page-next").disabled = !body.next;
    $("page-prev").disabled = !body.previous;
    $("page-first").disabled = !params.get("cursor");
  }

  // ------------------------------------------------------------------ counts and chart

  async function loadCounts() {
    const url = apiUrl(`${config.api.tasks}stats/`, { ...apiFilters({ without: ["status", "status__in"] }), group_by: "status" });
    // Drawn even when unchanged (a 304): which count is pressed follows the status filter.
    const { body } = await get(url, "counts");
    const rows = new Map(body.results.map((row) => [row.status, row]));
    const total = body.results.reduce((sum, row) => sum + row.count, 0);
    const chosen = pageParams().get("status") ?? "";
    const order = [...STATUS_ORDER.filter((s) => rows.has(s)), ...[...rows.keys()].filter((s) => !STATUS_ORDER.includes(s))];
    const items = [["", total, null], ...order.map((status) => [status, rows.get(status).count, rows.get(status)])];
    $("counts").replaceChildren(
      ...items.map(([status, count, row]) => {
        const name = status || "All";
        const label = status === "PENDING" ? t("PENDING (queued)") : status || t("All");
        const details = [];
        if (row?.runtime_avg != null) details.push(t("mean runtime {value}", { value: seconds(row.runtime_avg) }));
        if (row?.wait_avg != null) details.push(t("mean wait {value}", { value: seconds(row.wait_avg) }));
        const button = el(
          "button",
          {
            type: "button",
            className: `count status-${name.toLowerCase()}`,
            dataset: { status },
            "aria-pressed": String(chosen === status),
          },
          el("strong", {}, count.toLocaleString(language)),
          el("span", {}, label),
          details.length ? el("small", {}, details.join(", ")) : null,
        );
        return el("li", {}, button);
      }),
    );
    const wait = body.results.filter((row) => row.wait_avg != null);
    $("wait-summary").hidden = wait.length === 0;
    if (wait.length) {
      const longest = Math.max(...body.results.map((row) => row.wait_max ?? 0));
      $("wait-summary").textContent = t("Waiting time before a worker took the task: longest {value}.", { value: seconds(longest) });
    }
  }

  /**
   * Return the chart's buckets: the range the "Done" filter gives (with an interval that
   * keeps the bars readable), else the chosen "last ..." range, up to now.
   */
  function chartWindow() {
    const params = pageParams();
    const from = Date.parse(params.get("date_done__gte") ?? "");
    if (!Number.isNaN(from)) {
      const to = Date.parse(params.get("date_done__lte") ?? "");
      const end = Number.isNaN(to) ? Date.now() : to;
      const interval = ["minute", "hour", "day"].find((name) => (end - from) / STEPS[name] <= 180) ?? "day";
      const step = STEPS[interval];
      const offset = zoneOffset(from);
      const first = Math.floor((from + offset) / step) * step - offset;
      const count = Math.max(1, Math.min(Math.floor((end - first) / step) + 1, state.meta.stats_max_buckets));
      return { first, count, step, interval, last: Number.isNaN(to) ? null : to };
    }
    const range = RANGES[$("chart-range").value] ?? RANGES["1h"];
    const step = STEPS[range.interval];
    const now = Date.now();
    const offset = zoneOffset(now);
    const current = Math.floor((now + offset) / step) * step - offset;
    const count = Math.round(range.span / step);
    return { first: current - (count - 1) * step, count, step, interval: range.interval, last: null };
  }

  async function loadChart() {
    const { first, count, step, interval, last } = chartWindow();
    const url = apiUrl(`${config.api.tasks}stats/`, {
      ...apiFilters({ without: ["date_done__gte", "date_done__lte"] }),
      group_by: "status",
      interval,
      date_done__gte: new Date(first).toISOString(),
      date_done__lte: last === null ? null : new Date(last).toISOString(),
    });
    const custom = pageParams().has("date_done__gte");
    $("chart-range").disabled = custom;
    $("chart-custom").hidden = !custom;
    const { body, changed } = await get(url, "chart");
    if (!changed && url === state.chartKey && $("chart-svg")) return;
    state.chartKey = url;
    const buckets = Array.from({ length: count }, (_, i) => ({ time: first + i * step, counts: {}, total: 0 }));
    for (const row of body.results) {
      const index = Math.round((Date.parse(row.bucket) - first) / step);
      const bucket = buckets[index];
      if (!bucket) continue;
      bucket.counts[row.status] = (bucket.counts[row.status] ?? 0) + row.count;
      bucket.total += row.count;
    }
    $("chart-interval").textContent = t(interval);
    drawChart(buckets, interval);
  }

  function svg(name, attributes = {}, text = null) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== null) element.textContent = text;
    return element;
  }

  function axisScale(value) {
    const rough = value / 4;
    const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
    const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough));
    return { max: step * Math.ceil(value / step), step };
  }

  function bucketLabel(ms, interval) {
    const p = zoneParts(ms);
    return interval === "day" ? `${p.month}-${p.day}` : `${p.hour}:${p.minute}`;
  }

  function drawChart(buckets, interval) {
    const width = 760;
    const height = 200;
    const pad = { left: 40, right: 8, top: 10, bottom: 24 };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = height - pad.top - pad.bottom;
    const total = buckets.reduce((sum, bucket) => sum + bucket.total, 0);
    const { max, step } = axisScale(Math.max(1, ...buckets.map((bucket) => bucket.total)));
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": t("{total} tasks last changed in the range, per {interval}; the largest {interval} had {most}.", {
        total,
        interval: t(interval),
        most: Math.max(0, ...buckets.map((b) => b.total)),
      }),
      id: "chart-svg",
      preserveAspectRatio: "none",
    });
    for (let tick = 0; tick <= max; tick += step) {
      const y = pad.top + plotHeight * (1 - tick / max);
      chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
      chart.append(svg("text", { x: pad.left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, String(tick)));
    }
    const barWidth = plotWidth / buckets.length;
    const labelEvery = Math.ceil(buckets.length / 8);
    const seen = new Set();
    buckets.forEach((bucket, position) => {
      const x = pad.left + position * barWidth;
      let y = pad.top + plotHeight;
      const order = [...STATUS_ORDER, ...Object.keys(bucket.counts).filter((s) => !STATUS_ORDER.includes(s))];
      for (const status of order) {
        const count = bucket.counts[status];
        if (!count) continue;
        seen.add(status);
        const barHeight = (count / max) * plotHeight;
        y -= barHeight;
        const rect = svg("rect", { x: x + 1, y, width: Math.max(1, barWidth - 2), height: barHeight, class: `bar status-${status.toLowerCase()}` });
        rect.append(svg("title", {}, `${fullDate(new Date(bucket.time).toISOString())}: ${count} ${status}`));
        chart.append(rect);
      }
      if (position % labelEvery === 0) {
        chart.append(svg("text", { x: x + barWidth / 2, y: height - 6, class: "axis", "text-anchor": "middle" }, bucketLabel(bucket.time, interval)));
      }
    });
    const legend = el("div", { className: "legend" });
    for (const status of STATUS_ORDER.filter((s) => seen.has(s))) legend.append(badge(status));
    if (seen.size === 0) legend.textContent = t("No task changed in this range.");
    $("chart").replaceChildren(chart, legend);
  }

  async function loadTaskNames() {
    const url = apiUrl(`${config.api.tasks}stats/`, { group_by: "task_name" });
    const { body, changed } = await get(url, "names");
    state.namesAt = Date.now();
    if (!changed && $("task-names").childElementCount) return;
    const names = body.results.map((row) => row.task_name).filter(Boolean).sort();
    $("task-names").replaceChildren(...names.map((name) => el("option", { value: name })));
  }

  // ------------------------------------------------------------------ children of tasks and groups

  /** Return the task ids in Celery's result tuples: ((id, parent), None) or ((id, parent), [children]). */
  function resultIds(tuple, out = []) {
    if (!Array.isArray(tuple) || tuple.length !== 2 || !Array.isArray(tuple[0])) return out;
    const [[id], children] = tuple;
    if (Array.isArray(children)) for (const child of children) resultIds(child, out);
    else if (typeof id === "string") out.push(id);
    return out;
  }

  async function childRows(ids, key) {
    if (!ids.length) return new Map();
    const max = state.meta.max_page_size;
    const found = new Map();
    for (let start = 0; start < ids.length; start += max) {
      const chunk = ids.slice(start, start + max);
      const url = apiUrl(config.api.tasks, { task_id__in: chunk.join(","), page_size: max });
      const { body } = await get(url, `${key}:${start}`);
      for (const row of body.results) found.set(row.task_id, row);
    }
    return found;
  }

  function childrenList(ids, rows) {
    return ids.map((id) => {
      const row = rows.get(id);
      return el(
        "li",
        {},
        badge(row?.status ?? "unknown"),
        " ",
        row ? taskLink(row, row.task_name ?? id) : el("span", {}, t("not visible or not stored yet")),
        " ",
        el("code", {}, id.slice(0, 8)),
        row?.runtime != null ? el("span", { className: "muted" }, ` ${seconds(row.runtime)}`) : null,
      );
    });
  }

  function summary(ids, rows) {
    const counts = new Map();
    for (const id of ids) {
      const status = rows.get(id)?.status ?? "unknown";
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    const node = el("span", { className: "summary" }, t("{count} tasks: ", { count: ids.length }));
    for (const [status, count] of counts) node.append(el("span", { className: "summary-item" }, `${count} `, badge(status)));
    return node;
  }

  // ------------------------------------------------------------------ the detail panel

  async function loadDetail() {
    const taskId = pageParams().get("task");
    if (!taskId) {
      hideDetail();
      return;
    }
    let response;
    try {
      response = await get(taskUrl(taskId), "detail");
    } catch (error) {
      if (error.status === 404) {
        showDetailMissing(taskId);
        return;
      }
      throw error;
    }
    if (!response.changed && state.detail?.task_id === taskId && !$("detail").hidden) return;
    await renderDetail(response.body);
  }

  function showDetailMissing(taskId) {
    state.detail = { task_id: taskId, status: null };
    $("detail-title").textContent = t("No such task");
    $("detail-fields").replaceChildren(el("dt", {}, t("Task id")), el("dd", {}, taskId));
    $("detail-actions").replaceChildren();
    for (const name of ["args", "kwargs", "result", "traceback", "meta"]) $(`detail-${name}`).textContent = "—";
    $("detail-notice").hidden = false;
    $("detail-notice").textContent = t("No task with this id is stored, or it is outside what you may see.");
    $("detail").hidden = false;
  }

  async function renderDetail(task) {
    const opening = $("detail").hidden || state.detail?.task_id !== task.task_id;
    state.detail = task;
    $("detail-title").replaceChildren(task.task_name ?? t("Task"), " ", badge(task.status));
    const list = [];
    for (const field of state.meta.fields) {
      if (CONTENT_KINDS.has(field.kind) || field.name === "task_name" || field.name === "status") continue;
      let value;
      if (field.kind === "date") value = dateNode(task[field.name]);
      else if (field.name === "wait" && task.status === "PENDING" && task.date_created) {
        // Still queued: how long it has waited so far.
        value = t("{value} so far", { value: seconds((Date.now() - Date.parse(task.date_created)) / 1000) });
      } else if (field.name === "runtime" || field.name === "wait") value = seconds(task[field.name]);
      else value = valueText(field, task[field.name]);
      // Until a task finishes, date_done is the time of its last stored state, not its end.
      const name = field.name === "date_done" && !FINAL_STATES.has(task.status) ? t("Last change") : field.label;
      const label = field.kind === "date" ? `${name} (${timeZone})` : name;
      list.push(el("dt", {}, label), el("dd", {}, value));
    }
    $("detail-fields").replaceChildren(...list);
    for (const name of ["args", "kwargs", "result", "meta"]) $(`detail-${name}`).textContent = contentText(task[name]);
    let traceback = contentText(task.traceback);
    if (task.traceback == null && !state.meta.traceback_visible) traceback = `— ${t("(tracebacks are hidden from you)")}`;
    $("detail-traceback").textContent = traceback;
    $("detail-api-link").href = taskUrl(task.task_id);
    renderActions(task);
    for (const tr of $("results").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.taskId === task.task_id);
    $("detail").hidden = false;
    if (opening) {
      $("detail-notice").hidden = true;
      $("detail-title").focus();
    }
    const ids = (task.meta?.children ?? []).flatMap((child) => resultIds(child));
    $("detail-children-block").hidden = ids.length === 0;
    if (ids.length) {
      const rows = await childRows(ids, "detail-children");
      $("detail-children").replaceChildren(el("li", {}, summary(ids, rows)), ...childrenList(ids, rows));
    }
  }

  function renderActions(task) {
    const buttons = [];
    const actions = state.meta.actions ?? {};
    if (actions.revoke?.states.includes(task.status)) {
      buttons.push(el("button", { type: "button", className: "action", dataset: { action: "revoke" } }, t("Revoke")));
      if (task.status === "STARTED") {
        buttons.push(el("button", { type: "button", className: "action danger", dataset: { action: "terminate" } }, t("Revoke and terminate")));
      }
    }
    if (actions.retry?.states.includes(task.status)) {
      buttons.push(el("button", { type: "button", className: "action", dataset: { action: "retry" } }, t("Retry")));
    }
    $("detail-actions").replaceChildren(...buttons);
  }

  async function act(action) {
    const task = state.detail;
    if (!task) return;
    const verb =
      action === "retry"
        ? t("Send this task again with its stored arguments")
        : action === "terminate"
          ? t("Revoke this task and terminate its process")
          : t("Revoke this task");
    if (!window.confirm(`${verb}?\n${task.task_name ?? ""} ${task.task_id}`)) return;
    const notice = $("detail-notice");
    notice.hidden = false;
    try {
      if (action === "retry") {
        const answer = await post(`${taskUrl(task.task_id)}retry/`);
        notice.replaceChildren(`${t("Sent again as")} `, taskLink({ task_id: answer.task_id }, answer.task_id), ".");
      } else {
        await post(`${taskUrl(task.task_id)}revoke/`, { terminate: action === "terminate" });
        notice.textContent = t("Revoke sent to the workers; the state changes once a worker acts on it.");
      }
    } catch (error) {
      notice.textContent = t("Not done ({status}): {message}", { status: error.status, message: error.message });
    }
  }

  function hideDetail() {
    state.detail = null;
    $("detail").hidden = true;
    for (const tr of $("results").tBodies[0].rows) tr.classList.remove("selected");
  }

  function closeDetail() {
    if ($("detail").hidden) return;
    const taskId = state.detail?.task_id;
    setPageParams({ task: null });
    hideDetail();
    const link = taskId && document.querySelector(`a.task-link[data-task-id="${CSS.escape(taskId)}"]`);
    (link ?? $("results-heading")).focus();
  }

  // ------------------------------------------------------------------ groups

  async function loadGroups() {
    const params = pageParams();
    const url = apiUrl(config.api.groups, { cursor: params.get("gcursor"), page_size: PAGE_SIZE });
    const { body, changed } = await get(url, "groups");
    state.gnext = body.next;
    state.gprevious = body.previous;
    $("groups-next").disabled = !body.next;
    $("groups-prev").disabled = !body.previous;
    $("groups-first").disabled = !params.get("gcursor");
    const members = body.results.map((group) => [group, resultIds(group.result)]);
    const rows = await childRows(members.flatMap(([, ids]) => ids), "group-children");
    const groupId = params.get("group");
    $("groups").tBodies[0].replaceChildren(
      ...members.map(([group, ids]) => {
        const link = new URLSearchParams(params);
        link.set("group", group.group_id);
        return el(
          "tr",
          { className: group.group_id === groupId ? "selected" : null },
          el("td", { dataset: { label: t("Group id") } }, el("a", { href: `?${link}`, className: "group-link", dataset: { groupId: group.group_id } }, el("code", {}, group.group_id))),
          el("td", { dataset: { label: t("Created") } }, dateNode(group.date_created)),
          el("td", { dataset: { label: t("Last saved") } }, dateNode(group.date_done)),
          el("td", { dataset: { label: t("Tasks") } }, summary(ids, rows)),
        );
      }),
    );
    $("groups-empty").hidden = body.results.length > 0;
    const open = members.find(([group]) => group.group_id === groupId);
    $("group-detail").hidden = !open;
    if (open) {
      const [group, ids] = open;
      $("group-detail-title").textContent = t("Group {id}", { id: group.group_id });
      $("group-children").replaceChildren(...childrenList(ids, rows));
    }
    return changed;
  }

  // ------------------------------------------------------------------ loading and live updates

  function showView() {
    const view = pageParams().get("view") === "groups" ? "groups" : "tasks";
    $("tasks-view").hidden = view !== "tasks";
    $("groups-view").hidden = view !== "groups";
    for (const tab of document.querySelectorAll(".tabs a")) {
      if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    return view;
  }

  function stamp(text) {
    const time = zoneParts(Date.now());
    $("updated").textContent = `${text} ${time.hour}:${time.minute}:${time.second}`;
  }

  async function settle(work) {
    const outcomes = await Promise.allSettled(work);
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed?.reason?.status === 429) showError(t("The API asks to slow down (429); the next update will try again."));
    else showError(failed ? t("The API answered: {message}", { message: failed.reason.message }) : "");
  }

  /** Start reading the tasks view: the page, the counts, the chart, and the task names once a minute. */
  function loadTasksView() {
    const work = [loadTable(), loadCounts(), loadChart()];
    if (Date.now() - state.namesAt > 60e3) work.push(loadTaskNames());
    return work;
  }

  /** Load everything the current state shows. */
  async function load() {
    readControls();
    const view = showView();
    const work = [loadDetail()];
    if (view === "tasks") {
      work.push(...loadTasksView());
    } else {
      work.push(loadGroups());
    }
    await settle(work);
    stamp(t("Updated"));
  }

  /** Ask what changed since the last poll; load more only when something did. */
  async function poll() {
    refreshRelativeTimes();
    const view = showView();
    const work = [];
    if (view === "groups") {
      work.push(loadGroups());
    } else if (state.since === null || state.sinceKey !== filterKey()) {
      work.push(loadTable(), loadCounts(), loadChart());
    } else {
      work.push(pollDelta());
    }
    if (state.detail && !state.meta.ready_states.includes(state.detail.status) && !state.rows.has(state.detail.task_id)) {
      work.push(loadDetail());
    }
    await settle(work);
  }

  /**
   * Ask whether anything the filters match changed since the last poll: the newest change
   * only (one row), with If-None-Match, so that an unchanged answer is a 304 with no body.
   * When something changed, the page, the counts and the chart are read again, each with
   * its own ETag: the rows shown are then exactly the API's, whatever the order or page.
   */
  async function pollDelta() {
    const url = apiUrl(config.api.tasks, {
      ...apiFilters(),
      updated_since: state.since,
      ordering: "-date_done",
      page_size: 1,
    });
    const { body, changed, headers } = await get(url, `delta:${state.sinceKey}`);
    state.since = headers.get("Next-Updated-Since") ?? state.since;
    const windowMoved = chartWindowKey() !== state.chartWindow;
    if (!changed || body.results.length === 0) {
      if (windowMoved) await loadChart();
      stamp(changed ? t("No changes") : t("No changes (304)"));
      return;
    }
    await Promise.all(loadTasksView());
    const shown = state.detail && state.rows.get(state.detail.task_id);
    if (shown && shown.date_done !== state.detail.date_done) await renderDetail(shown);
    stamp(t("Changes shown"));
  }

  function chartWindowKey() {
    const { first, interval } = chartWindow();
    return `${interval}:${first}`;
  }

  function schedule() {
    clearTimeout(state.timer);
    if (!$("live").checked || !config.pollSeconds || document.hidden) return;
    state.timer = setTimeout(async () => {
      if (!state.busy) {
        state.busy = true;
        try {
          state.chartWindow ??= chartWindowKey();
          await poll();
          state.chartWindow = chartWindowKey();
        } finally {
          state.busy = false;
        }
      }
      schedule();
    }, config.pollSeconds * 1000);
  }

  async function reload() {
    clearTimeout(state.timer);
    state.busy = true;
    try {
      await load();
      state.chartWindow = chartWindowKey();
    } finally {
      state.busy = false;
      schedule();
    }
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      writeControls();
      reload();
    });
    $("filters").addEventListener("change", (event) => {
      const target = event.target;
      if (target.id === "live") {
        setPageParams({ live: target.checked ? null : "0" }, { push: false });
        schedule();
        return;
      }
      if (target.tagName === "SELECT" || target.type === "datetime-local") {
        writeControls();
        reload();
      }
    });
    $("filter-clear").addEventListener("click", () => {
      const changes = { id: null, name: null, cursor: null };
      for (const param of state.filterParams) changes[param] = null;
      setPageParams(changes);
      reload();
    });
    $("sort-select").addEventListener("change", () => {
      setPageParams({ ordering: $("sort-select").value, cursor: null });
      reload();
    });
    $("chart-range").addEventListener("change", () => {
      setPageParams({ range: $("chart-range").value === "1h" ? null : $("chart-range").value });
      loadChart().catch((error) => showError(error.message));
    });
    $("counts").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-status]");
      if (!button) return;
      const status = button.dataset.status;
      setPageParams({ status: pageParams().get("status") === status ? null : status || null, cursor: null });
      reload();
    });
    $("results").tHead.addEventListener("click", (event) => {
      const button = event.target.closest("button.sort");
      if (!button) return;
      const name = button.dataset.field;
      const current = currentOrdering().split(",")[0];
      const ordering = current === `-${name}` ? name : `-${name}`;
      setPageParams({ ordering, cursor: null });
      reload().then(() => document.querySelector(`button.sort[data-field="${name}"]`)?.focus());
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a.task-link, a.group-link, .tabs a");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      if (link.classList.contains("task-link")) {
        setPageParams({ task: link.dataset.taskId });
        loadDetail().catch((error) => showError(error.message));
      } else if (link.classList.contains("group-link")) {
        setPageParams({ group: link.dataset.groupId });
        loadGroups().then(() => $("group-detail-title").focus()).catch((error) => showError(error.message));
      } else {
        setPageParams({ view: link.dataset.view === "tasks" ? null : link.dataset.view, task: null });
        hideDetail();
        reload().then(() => $(link.dataset.view === "groups" ? "groups-heading" : "results-heading").focus());
      }
    });
    const page = (changes) => () => {
      setPageParams(changes());
      reload().then(() => $("results-heading").focus());
    };
    $("page-next").addEventListener("click", page(() => ({ cursor: cursorOf(state.next) })));
    $("page-prev").addEventListener("click", page(() => ({ cursor: cursorOf(state.previous) })));
    $("page-first").addEventListener("click", page(() => ({ cursor: null })));
    $("groups-next").addEventListener("click", page(() => ({ gcursor: cursorOf(state.gnext) })));
    $("groups-prev").addEventListener("click", page(() => ({ gcursor: cursorOf(state.gprevious) })));
    $("groups-first").addEventListener("click", page(() => ({ gcursor: null })));
    $("detail-close").addEventListener("click", closeDetail);
    $("detail-actions").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) act(button.dataset.action);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeDetail();
      const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? "");
      if (event.key === "/" && !typing) {
        event.preventDefault();
        $("search-id").focus();
      }
    });
    window.addEventListener("popstate", () => {
      state.since = null;
      reload();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && $("live").checked) reload();
      else clearTimeout(state.timer);
    });
  }

  async function start() {
    try {
      const { body } = await get(`${config.api.tasks}metadata/`, "metadata");
      state.meta = body;
    } catch (error) {
      showError(t("The results API could not be read: {message}", { message: error.message }));
      return;
    }
    setTimeZone(state.meta.time_zone);
    for (const field of state.meta.fields) state.fields.set(field.name, field);
    buildFilters(state.meta);
    buildHeader();
    wire();
    $("live").closest("label").hidden = !config.pollSeconds; // DASHBOARD_POLL_INTERVAL = 0
    // "5 minutes ago" keeps true without a request, live updates or not.
    setInterval(refreshRelativeTimes, 15e3);
    await reload();
  }

  start();
})();
