/*
 * The sandbox dashboard. It reads the public results API only:
 *   GET tasks/?tenant=&status=&task_name=&date_created__gte=&date_created__lte=&page_size=
 *       the results table; "next"/"previous" are the API's cursor links
 *   GET tasks/<task_id>/                              the detail panel
 *   GET tasks/stats/?group_by=status                  the counts by status
 *   GET tasks/stats/?group_by=task_name               the task-name filter's choices
 *   GET tasks/stats/?group_by=status&interval=minute&date_done__gte=...   the chart
 * and polls every few seconds while "live" is ticked. No build step, no library.
 */
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const $ = (id) => document.getElementById(id);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PAGE_SIZE = 25;
  const STATUS_ORDER = ["SUCCESS", "FAILURE", "RETRY", "STARTED", "RECEIVED", "PENDING", "REVOKED"];
  const READY_STATES = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
  const tenantNames = new Map(config.tenants.map((tenant) => [String(tenant.id), tenant.name]));
  const FILTER_FIELDS = ["tenant", "status", "task_name", "from", "to"];

  const state = {
    pageUrl: null, // null: the first page, refreshed live; else a cursor link, left alone
    next: null,
    previous: null,
    detailId: null,
    detailStatus: null,
    timer: null,
    busy: false,
    namesTenant: null,
    namesAt: 0,
  };

  // ---------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(status, body) {
      super(typeof body === "string" ? body : JSON.stringify(body));
      this.status = status;
    }
  }

  /** Return the JSON of a GET on the API; a lost session goes back to the log-in page. */
  async function getJSON(url) {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401 || response.status === 403) {
      const next = encodeURIComponent(location.pathname + location.search);
      location.assign(`${config.loginUrl}?next=${next}`);
      throw new ApiError(response.status, "not logged in");
    }
    const body = response.headers.get("content-type")?.includes("json")
      ? await response.json()
      : await response.text();
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  /** Return an absolute API URL with the non-empty ``params``. */
  function apiUrl(path, params) {
    const url = new URL(path, location.origin);
    for (const [name, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  // ---------------------------------------------------------------- filters

  function readFilters() {
    return {
      tenant: $("filter-tenant").value,
      status: $("filter-status").value,
      task_name: $("filter-task-name").value,
      from: $("filter-from").value,
      to: $("filter-to").value,
    };
  }

  const toIso = (local) => (local ? new Date(local).toISOString() : "");

  /** Return the API filters of the form; without ``status`` for the counts, which facet on it. */
  function filterParams(filters, { status = true, dates = true } = {}) {
    const params = { tenant: filters.tenant, task_name: filters.task_name };
    if (status) params.status = filters.status;
    if (dates) {
      params.date_created__gte = toIso(filters.from);
      params.date_created__lte = toIso(filters.to);
    }
    return params;
  }

  /** Fill the tenant selector: staff choose any tenant, a member is fixed to theirs. */
  function setUpTenants() {
    const select = $("filter-tenant");
    if (config.isStaff) select.append(new Option("All tenants", ""));
    for (const tenant of config.tenants) select.append(new Option(tenant.name, tenant.id));
    if (!config.isStaff && config.tenants.length <= 1) select.disabled = true;
    if (!config.isStaff && config.tenants.length === 0) {
      select.append(new Option("no tenant", ""));
      showError("This login belongs to no tenant, so it sees no results.");
    }
  }

  /** Keep the filters in the page's query string, so that a link reopens the same view. */
  function saveFiltersToUrl() {
    const filters = readFilters();
    const params = new URLSearchParams();
    for (const name of FILTER_FIELDS) if (filters[name]) params.set(name, filters[name]);
    const query = params.toString();
    history.replaceState(null, "", query ? `?${query}` : location.pathname);
  }

  function loadFiltersFromUrl() {
    const params = new URLSearchParams(location.search);
    const ids = { tenant: "filter-tenant", status: "filter-status", task_name: "filter-task-name" };
    for (const [name, id] of Object.entries(ids)) {
      const value = params.get(name);
      if (!value) continue;
      const select = $(id);
      if (![...select.options].some((option) => option.value === value)) {
        if (name === "tenant") continue; // not a tenant this login may see
        select.append(new Option(value, value));
      }
      select.value = value;
    }
    if (params.get("from")) $("filter-from").value = params.get("from");
    if (params.get("to")) $("filter-to").value = params.get("to");
  }

  // ---------------------------------------------------------------- formatting

  function formatTime(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    const sameDay = date.toDateString() === new Date().toDateString();
    const time = date.toLocaleTimeString([], { hour12: false });
    return sameDay ? time : `${date.toLocaleDateString()} ${time}`;
  }

  const formatRuntime = (seconds) =>
    seconds === null || seconds === undefined ? "—" : `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;

  const tenantName = (id) => (id === null || id === undefined ? "—" : tenantNames.get(String(id)) ?? `#${id}`);

  function formatContent(value) {
    if (value === null || value === undefined) return "—";
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  function badge(status) {
    const span = document.createElement("span");
    span.className = `badge status-${status.toLowerCase()}`;
    span.textContent = status;
    return span;
  }

  function showError(message) {
    const error = $("error");
    error.textContent = message;
    error.hidden = !message;
  }

  // ---------------------------------------------------------------- the table

  async function loadTable(filters) {
    const url = state.pageUrl ?? apiUrl(config.api.tasks, { ...filterParams(filters), page_size: PAGE_SIZE });
    const page = await getJSON(url);
    state.next = page.next;
    state.previous = page.previous;
    renderRows(page.results);
    $("page-next").disabled = !page.next;
    $("page-prev").disabled = !page.previous;
    $("page-first").disabled = state.pageUrl === null;
  }

  function renderRows(rows) {
    const body = $("results").tBodies[0];
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.dataset.taskId = row.task_id;
      tr.tabIndex = 0;
      if (row.task_id === state.detailId) tr.classList.add("selected");
      const cells = [
        badge(row.status),
        row.task_name ?? "—",
        tenantName(row.tenant),
        formatTime(row.date_created),
        formatRuntime(row.runtime),
        row.worker ?? "—",
        row.task_id.slice(0, 8),
      ];
      for (const [index, content] of cells.entries()) {
        const td = document.createElement("td");
        td.append(content);
        td.className = ["status", "task", "tenant", "created", "runtime", "worker", "id"][index];
        tr.append(td);
      }
      tr.lastChild.title = row.task_id;
      fragment.append(tr);
    }
    body.replaceChildren(fragment);
    $("empty").hidden = rows.length > 0;
  }

  function goToPage(url) {
    state.pageUrl = url;
    refresh();
  }

  // ---------------------------------------------------------------- the detail panel

  async function openDetail(taskId) {
    state.detailId = taskId;
    for (const tr of $("results").tBodies[0].rows) {
      tr.classList.toggle("selected", tr.dataset.taskId === taskId);
    }
    const url = apiUrl(`${config.api.tasks}${encodeURIComponent(taskId)}/`, {});
    const task = await getJSON(url);
    if (state.detailId !== taskId) return; // another row was opened meanwhile
    state.detailStatus = task.status;
    $("detail-title").replaceChildren(task.task_name ?? "Task", " ", badge(task.status));
    const fields = [
      ["task id", task.task_id],
      ["tenant", tenantName(task.tenant)],
      ["worker", task.worker ?? "—"],
      ["created", formatTime(task.date_created)],
      ["started", formatTime(task.date_started)],
      ["done", formatTime(task.date_done)],
      ["runtime", formatRuntime(task.runtime)],
      ["content type", task.content_type ?? "—"],
    ];
    const list = document.createDocumentFragment();
    for (const [name, value] of fields) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
    $("detail-fields").replaceChildren(list);
    for (const name of ["args", "kwargs", "result", "traceback", "meta"]) {
      $(`detail-${name}`).textContent = formatContent(task[name]);
    }
    $("detail-api-link").href = url;
    $("detail").hidden = false;
  }

  function closeDetail() {
    state.detailId = null;
    $("detail").hidden = true;
    for (const tr of $("results").tBodies[0].rows) tr.classList.remove("selected");
  }

  // ---------------------------------------------------------------- counts by status

  async function loadCounts(filters) {
    const url = apiUrl(config.api.stats, { ...filterParams(filters, { status: false }), group_by: "status" });
    const stats = await getJSON(url);
    const byStatus = new Map(stats.results.map((row) => [row.status, row]));
    const total = stats.results.reduce((sum, row) => sum + row.count, 0);
    const items = [["", total]];
    for (const status of STATUS_ORDER) if (byStatus.has(status)) items.push([status, byStatus.get(status).count]);
    for (const [status, row] of byStatus) if (!STATUS_ORDER.includes(status)) items.push([status, row.count]);
    const list = document.createDocumentFragment();
    for (const [status, count] of items) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.status = status;
      button.className = `count status-${(status || "all").toLowerCase()}`;
      button.classList.toggle("active", filters.status === status);
      const number = document.createElement("strong");
      number.textContent = count.toLocaleString();
      const label = document.createElement("span");
      label.textContent = status || "all";
      const avg = byStatus.get(status)?.runtime_avg;
      if (avg !== null && avg !== undefined) button.title = `mean runtime ${formatRuntime(avg)}`;
      button.append(number, label);
      li.append(button);
      list.append(li);
    }
    $("counts").replaceChildren(list);
  }

  async function loadTaskNames(filters) {
    const url = apiUrl(config.api.stats, { tenant: filters.tenant, group_by: "task_name" });
    const stats = await getJSON(url);
    const select = $("filter-task-name");
    const chosen = select.value;
    const names = stats.results.map((row) => row.task_name).filter(Boolean).sort();
    if (chosen && !names.includes(chosen)) names.push(chosen);
    const current = [...select.options].slice(1).map((option) => option.value);
    if (names.join("\n") === current.join("\n")) return;
    select.replaceChildren(new Option("any", ""), ...names.map((name) => new Option(name, name)));
    select.value = chosen;
  }

  // ---------------------------------------------------------------- the chart

  const INTERVALS = { minute: 60e3, hour: 3600e3, day: 86400e3 };
  const MAX_BARS = 120;

  /** Return the chart's window and interval: the date range, else the last 30 minutes. */
  function chartWindow(filters) {
    const end = filters.to ? new Date(filters.to).getTime() : Date.now();
    const start = filters.from ? new Date(filters.from).getTime() : end - 30 * 60e3;
    const interval =
      Object.keys(INTERVALS).find((name) => (end - start) / INTERVALS[name] <= MAX_BARS) ?? "day";
    const step = INTERVALS[interval];
    const first = Math.floor(start / step) * step; // buckets are in UTC, the project's time zone
    const earliest = Math.floor(end / step) * step - 999 * step; // STATS_MAX_BUCKETS
    return { first: Math.max(first, earliest), end, step, interval };
  }

  async function loadChart(filters) {
    const { first, end, step, interval } = chartWindow(filters);
    const url = apiUrl(config.api.stats, {
      ...filterParams(filters, { dates: false }),
      group_by: "status",
      interval,
      date_done__gte: new Date(first).toISOString(),
      date_done__lte: new Date(end).toISOString(),
    });
    const stats = await getJSON(url);
    const buckets = [];
    for (let time = first; time <= end; time += step) buckets.push({ time, counts: {}, total: 0 });
    const index = new Map(buckets.map((bucket) => [bucket.time, bucket]));
    for (const row of stats.results) {
      const bucket = index.get(Date.parse(row.bucket));
      if (!bucket) continue;
      bucket.counts[row.status] = (bucket.counts[row.status] ?? 0) + row.count;
      bucket.total += row.count;
    }
    $("chart-interval").textContent = interval;
    $("chart-range").textContent = `${formatTime(new Date(first).toISOString())} – ${
      filters.to ? formatTime(new Date(end).toISOString()) : "now"
    } (by date done)`;
    drawChart(buckets, interval);
  }

  function svg(name, attributes = {}, text = null) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== null) element.textContent = text;
    return element;
  }

  /** Return a round top of the y axis for ``value`` and the step of its grid lines (1, 2, 5 x 10^n). */
  function axisScale(value) {
    const rough = value / 4;
    const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
    const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough));
    return { max: step * Math.ceil(value / step), step };
  }

  /** Draw stacked bars per bucket and status as inline SVG. */
  function drawChart(buckets, interval) {
    const width = 760;
    const height = 200;
    const pad = { left: 36, right: 8, top: 10, bottom: 24 };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = height - pad.top - pad.bottom;
    const { max, step } = axisScale(Math.max(1, ...buckets.map((bucket) => bucket.total)));
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": `tasks per ${interval}`,
      id: "chart-svg",
    });
    for (let tick = 0; tick <= max; tick += step) {
      const fraction = tick / max;
      const y = pad.top + plotHeight * (1 - fraction);
      chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
      chart.append(
        svg("text", { x: pad.left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, String(tick)),
      );
    }
    const barWidth = plotWidth / buckets.length;
    const labelEvery = Math.ceil(buckets.length / 8);
    const statuses = new Set();
    buckets.forEach((bucket, position) => {
      const x = pad.left + position * barWidth;
      let y = pad.top + plotHeight;
      const order = [...STATUS_ORDER, ...Object.keys(bucket.counts).filter((s) => !STATUS_ORDER.includes(s))];
      for (const status of order) {
        const count = bucket.counts[status];
        if (!count) continue;
        statuses.add(status);
        const barHeight = (count / max) * plotHeight;
        y -= barHeight;
        const rect = svg("rect", {
          x: x + 1,
          y,
          width: Math.max(1, barWidth - 2),
          height: barHeight,
          class: `bar status-${status.toLowerCase()}`,
        });
        rect.append(svg("title", {}, `${formatTime(new Date(bucket.time).toISOString())}: ${count} ${status}`));
        chart.append(rect);
      }
      if (position % labelEvery === 0) {
        const date = new Date(bucket.time);
        const label =
          interval === "day"
            ? date.toLocaleDateString()
            : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
        chart.append(svg("text", { x: x + barWidth / 2, y: height - 6, class: "axis", "text-anchor": "middle" }, label));
      }
    });
    const legend = document.createElement("div");
    legend.className = "legend";
    for (const status of STATUS_ORDER.filter((s) => statuses.has(s))) {
      const item = document.createElement("span");
      item.append(badge(status));
      legend.append(item);
    }
    if (statuses.size === 0) legend.textContent = "No tasks done in this window yet.";
    $("chart").replaceChildren(chart, legend);
  }

  // ---------------------------------------------------------------- refresh loop

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    clearTimeout(state.timer);
    const filters = readFilters();
    try {
      const work = [loadTable(filters), loadCounts(filters), loadChart(filters)];
      // The task names change rarely: on a new tenant, else once a minute.
      if (filters.tenant !== state.namesTenant || Date.now() - state.namesAt > 60e3) {
        state.namesTenant = filters.tenant;
        state.namesAt = Date.now();
        work.push(loadTaskNames(filters));
      }
      if (state.detailId && !READY_STATES.has(state.detailStatus)) work.push(openDetail(state.detailId));
      const outcomes = await Promise.allSettled(work);
      const failed = outcomes.find((outcome) => outcome.status === "rejected");
      if (failed?.reason.status === 429) {
        showError("The API asks to slow down (429); the next refresh will try again.");
      } else {
        showError(failed ? `The API answered: ${failed.reason.message}` : "");
      }
      $("updated").textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
    } finally {
      state.busy = false;
      schedule();
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    if ($("live").checked) state.timer = setTimeout(refresh, config.pollSeconds * 1000);
  }

  function onFiltersChanged() {
    state.pageUrl = null;
    saveFiltersToUrl();
    refresh();
  }

  // ---------------------------------------------------------------- wiring

  setUpTenants();
  loadFiltersFromUrl();
  $("filters").addEventListener("change", (event) => {
    if (event.target.id !== "live") onFiltersChanged();
  });
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("filters").addEventListener("reset", () => setTimeout(onFiltersChanged));
  $("live").addEventListener("change", () => ($("live").checked ? refresh() : clearTimeout(state.timer)));
  $("page-next").addEventListener("click", () => goToPage(state.next));
  $("page-prev").addEventListener("click", () => goToPage(state.previous));
  $("page-first").addEventListener("click", () => goToPage(null));
  $("counts").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-status]");
    if (!button) return;
    const select = $("filter-status");
    select.value = select.value === button.dataset.status ? "" : button.dataset.status;
    onFiltersChanged();
  });
  const openRow = (event) => {
    const tr = event.target.closest("tr[data-task-id]");
    if (tr) openDetail(tr.dataset.taskId).catch((error) => showError(error.message));
  };
  $("results").addEventListener("click", openRow);
  $("results").addEventListener("keydown", (event) => event.key === "Enter" && openRow(event));
  $("detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (event) => event.key === "Escape" && closeDetail());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && $("live").checked) refresh();
  });
  refresh();
})();
