/*
 * The filter form: a control for every filterable field that tasks/metadata/ lists, kept
 * in step with the page's query string both ways, and the task names the name search
 * suggests.
 */

import { apiUrl } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./page.js";
import { pageParams, setPageParams } from "./url-state.js";

// Fields searched by the two boxes at the top rather than by a control of their own.
const SEARCH_FIELDS = new Set(["task_id", "task_name"]);
// Fields whose controls are shown without opening "More filters".
const MAIN_FILTERS = new Set(["status", "date_created"]);

function control(app, param, input, labelText) {
  input.dataset.param = param;
  input.id = `filter-${param}`;
  input.name = param;
  app.filterParams.add(param);
  return el("label", { className: "field" }, labelText, input);
}

function selectFor(app, field, param) {
  const select = el("select");
  select.append(new Option(t("any"), ""));
  for (const choice of field.choices) select.append(new Option(choice.label, choice.value));
  return control(app, param, select, field.label);
}

function rangeFor(app, field, filters, type) {
  const legend = type === "date" ? `${field.label} (${app.zone.name})` : field.label;
  const box = el("fieldset", { className: "range" }, el("legend", {}, legend));
  for (const [lookup, word] of [["gte", t("from")], ["lte", t("to")]]) {
    if (!filters[lookup]) continue;
    const input =
      type === "date"
        ? el("input", { type: "datetime-local", step: "1", dataset: { kind: "date" } })
        : el("input", { type: "number", step: "any", inputmode: "decimal" });
    box.append(control(app, filters[lookup], input, word));
  }
  return box;
}

/** Build a control for every filterable field the metadata lists (the searches aside). */
export function buildFilters(app) {
  const more = $("filter-more");
  // A phone shows the two searches; the other filters wait behind "More filters".
  const main = window.matchMedia("(max-width: 720px)").matches ? more : $("filter-main");
  for (const field of app.meta.fields) {
    const filters = field.filters;
    if (SEARCH_FIELDS.has(field.name) || Object.keys(filters).length === 0) continue;
    let node = null;
    if (field.choices && filters.exact) {
      app.labels.set(field.name, new Map(field.choices.map((c) => [String(c.value), c.label])));
      node = selectFor(app, field, filters.exact);
    } else if (field.kind === "boolean" && filters.exact) {
      const select = el("select");
      select.append(new Option(t("any"), ""), new Option(t("yes"), "true"), new Option(t("no"), "false"));
      node = control(app, filters.exact, select, field.label);
    } else if ((field.kind === "number" || field.kind === "date") && (filters.gte || filters.lte)) {
      node = rangeFor(app, field, filters, field.kind);
    } else if (field.kind === "foreign_key" && filters.exact) {
      const input = el("input", { type: "number", step: "1", inputmode: "numeric" });
      node = control(app, filters.exact, input, `${field.label} (id)`);
    } else if (filters.icontains || filters.exact) {
      const param = filters.icontains ?? filters.exact;
      const hint = filters.icontains ? ` ${t("(contains)")}` : "";
      node = control(app, param, el("input", { type: "search", spellcheck: "false" }), `${field.label}${hint}`);
    }
    if (!node) continue;
    (field.extra || MAIN_FILTERS.has(field.name) ? main : more).append(node);
  }
}

/** Set the controls from the page's query string. */
export function readControls(app) {
  const params = pageParams();
  for (const input of document.querySelectorAll("#filters [data-param]")) {
    const value = params.get(input.dataset.param) ?? "";
    if (input.tagName === "SELECT" && value && ![...input.options].some((o) => o.value === value)) {
      input.append(new Option(value, value));
    }
    input.value = input.dataset.kind === "date" && value ? app.zone.isoToWall(value) : value;
  }
  $("search-id").value = params.get("id") ?? "";
  $("search-name").value = params.get("name") ?? "";
  $("search-q").value = params.get("q") ?? "";
  $("live").checked = params.get("live") !== "0";
  if ([...document.querySelectorAll("#filter-more [data-param]")].some((input) => input.value)) {
    $("more-filters").open = true;
  }
}

/** Put the controls' values in the page's query string (a new history entry). */
export function writeControls(app) {
  const changes = {
    cursor: null,
    id: $("search-id").value.trim(),
    name: $("search-name").value.trim(),
    q: $("search-q").value.trim(),
  };
  for (const input of document.querySelectorAll("#filters [data-param]")) {
    const value = input.value.trim();
    changes[input.dataset.param] = input.dataset.kind === "date" && value ? app.zone.wallToIso(value) : value;
  }
  setPageParams(changes);
}

/** Return the query-string changes that clear every filter. */
export function clearedFilters(app) {
  const changes = { id: null, name: null, q: null, exc_type: null, exc_pattern: null, cursor: null };
  for (const param of app.filterParams) changes[param] = null;
  return changes;
}

/** Read the stored task names into the name search's suggestions. */
export async function loadTaskNames(app) {
  const url = apiUrl(`${app.client.tasks}stats/`, { group_by: "task_name" });
  const { body, changed } = await app.client.get(url, "names");
  app.names.at = Date.now();
  if (!changed && $("task-names").childElementCount) return;
  const names = body.results.map((row) => row.task_name).filter(Boolean).sort();
  $("task-names").replaceChildren(...names.map((name) => el("option", { value: name })));
}
