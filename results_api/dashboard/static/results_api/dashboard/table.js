/*
 * The results table: its columns (from the model's fields in tasks/metadata/), headers that
 * sort through the API's ordering, one cursor page of tasks, and the links that open a
 * task's detail.
 */

import { apiUrl } from "./api.js";
import { $, badge, el } from "./dom.js";
import { t } from "./page.js";
import { failureText } from "./failure.js";
import { dateNode, seconds } from "./time.js";
import { apiFilters, filterKey, pageParams } from "./url-state.js";

/** Tasks per page of the table (and of the groups). */
export const PAGE_SIZE = 25;
// Stored content: shown in the detail, never in a column.
export const CONTENT_KINDS = new Set(["json", "text"]);

/** Return a field's value as text: its choice's label, ``#key`` of a foreign key, yes/no. */
export function valueText(app, field, value) {
  if (value === null || value === undefined || value === "") return "—";
  const labels = app.labels.get(field.name);
  if (labels?.has(String(value))) return labels.get(String(value));
  if (field.kind === "foreign_key") return `#${value}`;
  if (field.kind === "boolean") return value ? t("yes") : t("no");
  return String(value);
}

/** Return a link that opens ``row``'s task in the detail panel (and keeps the rest of the view). */
export function taskLink(row, text) {
  const params = pageParams();
  params.set("task", row.task_id);
  return el("a", { href: `?${params}`, className: "task-link", dataset: { taskId: row.task_id } }, text);
}

function columns(app) {
  const has = (name) => app.fields.has(name);
  const list = [
    { name: "status", label: t("Status"), render: (row) => badge(row.status) },
    { name: "task_name", label: t("Task"), render: (row) => taskLink(row, row.task_name ?? t("(unnamed)")) },
  ];
  if (has("result")) {
    list.push({
      name: "error",
      label: t("Error"),
      render: (row) => {
        const text = failureText(row.result);
        return text === null ? "" : el("span", { title: text }, text);
      },
    });
  }
  if (pageParams().get("q")) {
    // Why each row matched the search: the line of its (masked) content the API found.
    list.push({
      name: "search_excerpt",
      label: t("Matched"),
      render: (row) => el("span", { title: row.search_excerpt ?? "" }, row.search_excerpt ?? ""),
    });
  }
  for (const extra of app.meta.fields.filter((f) => f.extra && !CONTENT_KINDS.has(f.kind))) {
    list.push({ name: extra.name, label: extra.label, render: (row) => valueText(app, extra, row[extra.name]) });
  }
  list.push(
    {
      name: "date_created",
      label: t("Created ({zone})", { zone: app.zone.name }),
      render: (row) => dateNode(app.zone, row.date_created),
    },
    { name: "date_done", label: t("Last change"), render: (row) => dateNode(app.zone, row.date_done) },
    { name: "runtime", label: t("Runtime"), render: (row) => seconds(row.runtime) },
  );
  if (has("wait")) {
    list.push({ name: "wait", label: app.fields.get("wait").label ?? t("Wait"), render: (row) => seconds(row.wait) });
  }
  list.push(
    { name: "worker", label: t("Worker"), render: (row) => row.worker ?? "—" },
    { name: "task_id", label: t("Task id"), render: (row) => el("code", { title: row.task_id }, row.task_id.slice(0, 8)) },
  );
  const computed = new Set(["error", "search_excerpt"]);
  const shown = list.filter((column) => has(column.name) || computed.has(column.name));
  if (!app.meta.bulk_actions?.length) return shown;
  // A bulk action can take the rows picked here instead of every row the filters select.
  const select = {
    name: "select",
    label: t("Select"),
    render: (row) =>
      el("input", {
        type: "checkbox",
        className: "select-row",
        checked: app.selection.has(row.task_id),
        "aria-label": t("Select {task}", { task: `${row.task_name ?? ""} ${row.task_id}`.trim() }),
        dataset: { taskId: row.task_id },
      }),
  };
  return [select, ...shown];
}

/** Return the ordering the table shows: the page's, else the API's default. */
export function currentOrdering(app) {
  return pageParams().get("ordering") || app.meta.default_ordering.join(",");
}

/** Draw the table's headers (sorting buttons) and the phone's "Sort by" select. */
export function buildHeader(app) {
  const ordering = currentOrdering(app).split(",")[0];
  const tr = $("results").tHead.rows[0];
  tr.replaceChildren();
  // A phone hides the headers: the same orderings in a select.
  const sortSelect = $("sort-select");
  sortSelect.replaceChildren(
    ...columns(app)
      .filter((column) => app.fields.get(column.name)?.orderable)
      .flatMap((column) => {
        const label = column.label.replace(/ \(.*\)$/, "");
        return [new Option(`${label} ↓`, `-${column.name}`), new Option(`${label} ↑`, column.name)];
      }),
  );
  sortSelect.value = ordering;
  for (const column of columns(app)) {
    const th = el("th", { scope: "col", dataset: { field: column.name } });
    const orderable = app.fields.get(column.name)?.orderable;
    if (orderable) {
      const direction = ordering === column.name ? "ascending" : ordering === `-${column.name}` ? "descending" : null;
      if (direction) th.setAttribute("aria-sort", direction);
      const arrow = direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : "";
      th.append(
        el("button", { type: "button", className: "sort", dataset: { field: column.name } }, column.label, el("span", { "aria-hidden": "true" }, arrow)),
      );
    } else if (column.name === "select") {
      th.append(el("span", { className: "visually-hidden" }, column.label));
    } else {
      th.textContent = column.label;
    }
    tr.append(th);
  }
}

function rowNode(app, row, shown) {
  const tr = el("tr", { dataset: { taskId: row.task_id } });
  if (row.task_id === app.detail?.task_id) tr.classList.add("selected");
  for (const column of shown) {
    const label = column.label.replace(/ \(.*\)$/, "");
    tr.append(el("td", { className: `col-${column.name}`, dataset: { label } }, column.render(row)));
  }
  return tr;
}

function renderRows(app, rows) {
  app.table.rows = new Map(rows.map((row) => [row.task_id, row]));
  const shown = columns(app);
  $("results").tBodies[0].replaceChildren(...rows.map((row) => rowNode(app, row, shown)));
  $("empty").hidden = rows.length > 0;
}

/** Mark the row of ``taskId`` as the one the detail shows (none for null). */
export function markSelected(taskId) {
  for (const tr of $("results").tBodies[0].rows) tr.classList.toggle("selected", taskId !== null && tr.dataset.taskId === taskId);
}

/** Read and draw the table's page; the first page also starts the live updates' deltas. */
export async function loadTable(app) {
  const params = pageParams();
  const url = apiUrl(app.client.tasks, {
    ...apiFilters(app.filterParams),
    ordering: params.get("ordering"),
    cursor: params.get("cursor"),
    page_size: PAGE_SIZE,
  });
  const { body, changed, headers } = await app.client.get(url, "table");
  const key = filterKey(app.filterParams);
  if (!params.get("cursor") && (app.live.sinceKey !== key || app.live.since === null)) {
    app.live.since = headers.get("Next-Updated-Since");
    app.live.sinceKey = key;
  }
  if (!changed && app.table.rows.size === body.results.length) return;
  app.table.next = body.next;
  app.table.previous = body.previous;
  buildHeader(app);
  renderRows(app, body.results);
  $("page-next").disabled = !body.next;
  $("page-prev").disabled = !body.previous;
  $("page-first").disabled = !params.get("cursor");
}
