/*
 * The results dashboard's main module: native ES modules, no library, no build step.
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
 *   GET tasks/stats/?status=FAILURE&group_by=exc_type,exc_pattern, ?group_by=task_name   summaries.js
 *   POST tasks/<id>/revoke/, retry/   when tasks/metadata/ lists them for this user
 *   GET, POST tasks/bulk/<action>/    a bulk action's preview and confirmation (bulk.js)
 * The view's state lives in the page's query string, so a link reopens the same view;
 * what is kept between renders is declared in state.js. This module reads the metadata,
 * builds the controls and wires the page's events to the modules that do the work.
 */

import { ApiClient, cursorOf } from "./api.js";
import { buildBulk, cancelBulk, confirmBulk, pickRow, previewBulk } from "./bulk.js";
import { loadChart } from "./chart.js";
import { clickedStatus } from "./counts.js";
import { act, closeDetail, hideDetail, loadDetail } from "./detail.js";
import { $, showError } from "./dom.js";
import { buildFilters, clearedFilters, writeControls } from "./filters.js";
import { loadGroups } from "./groups.js";
import { pause, reload, schedule } from "./live.js";
import { config, csrfToken, t } from "./page.js";
import { createState } from "./state.js";
import { buildHeader, currentOrdering } from "./table.js";
import { refreshRelativeTimes, Zone } from "./time.js";
import { pageParams, setPageParams } from "./url-state.js";

/** Connect the page's controls, links and keys to the view. */
function wire(app) {
  const refresh = () => reload(app);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    writeControls(app);
    refresh();
  });
  $("filters").addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "live") {
      setPageParams({ live: target.checked ? null : "0" }, { push: false });
      schedule(app);
      return;
    }
    if (target.tagName === "SELECT" || target.type === "datetime-local") {
      writeControls(app);
      refresh();
    }
  });
  $("bulk").addEventListener("submit", (event) => {
    event.preventDefault();
    previewBulk(app);
  });
  $("bulk-confirm").addEventListener("click", () => confirmBulk(app, refresh));
  $("bulk-cancel").addEventListener("click", () => cancelBulk(app));
  $("results").tBodies[0].addEventListener("change", (event) => {
    if (event.target.classList.contains("select-row")) pickRow(app, event.target);
  });
  $("filter-clear").addEventListener("click", () => {
    setPageParams(clearedFilters(app));
    refresh();
  });
  $("sort-select").addEventListener("change", () => {
    setPageParams({ ordering: $("sort-select").value, cursor: null });
    refresh();
  });
  $("chart-range").addEventListener("change", () => {
    setPageParams({ range: $("chart-range").value === "1h" ? null : $("chart-range").value });
    loadChart(app).catch((error) => showError(error.message));
  });
  $("overview-toggle").addEventListener("click", () => {
    setPageParams({ overview: pageParams().get("overview") === "hidden" ? null : "hidden" }, { push: false });
    showOverview();
  });
  $("counts").addEventListener("click", (event) => {
    const status = clickedStatus(event);
    if (status === undefined) return;
    setPageParams({ status: pageParams().get("status") === status ? null : status || null, cursor: null });
    refresh();
  });
  $("results").tHead.addEventListener("click", (event) => {
    const button = event.target.closest("button.sort");
    if (!button) return;
    const name = button.dataset.field;
    const current = currentOrdering(app).split(",")[0];
    const ordering = current === `-${name}` ? name : `-${name}`;
    setPageParams({ ordering, cursor: null });
    refresh().then(() => document.querySelector(`button.sort[data-field="${name}"]`)?.focus());
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.task-link, a.group-link, .tabs a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    if (link.classList.contains("task-link")) {
      setPageParams({ task: link.dataset.taskId });
      loadDetail(app).catch((error) => showError(error.message));
    } else if (link.classList.contains("group-link")) {
      setPageParams({ group: link.dataset.groupId });
      loadGroups(app)
        .then(() => $("group-detail-title").focus())
        .catch((error) => showError(error.message));
    } else {
      setPageParams({ view: link.dataset.view === "tasks" ? null : link.dataset.view, task: null });
      hideDetail(app);
      const view = link.dataset.view;
      refresh().then(() => $(view === "tasks" ? "results-heading" : `${view}-heading`).focus());
    }
  });
  const page = (changes) => () => {
    setPageParams(changes());
    refresh().then(() => $("results-heading").focus());
  };
  $("page-next").addEventListener("click", page(() => ({ cursor: cursorOf(app.table.next) })));
  $("page-prev").addEventListener("click", page(() => ({ cursor: cursorOf(app.table.previous) })));
  $("page-first").addEventListener("click", page(() => ({ cursor: null })));
  $("groups-next").addEventListener("click", page(() => ({ gcursor: cursorOf(app.groups.next) })));
  $("groups-prev").addEventListener("click", page(() => ({ gcursor: cursorOf(app.groups.previous) })));
  $("groups-first").addEventListener("click", page(() => ({ gcursor: null })));
  $("group-tasks-next").addEventListener("click", page(() => ({ gafter: app.groups.tasksNext })));
  $("group-tasks-prev").addEventListener("click", page(() => ({ gafter: app.groups.tasksPrevious })));
  $("detail-close").addEventListener("click", () => closeDetail(app));
  $("detail-actions").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(app, button.dataset.action);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDetail(app);
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? "");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      $("search-id").focus();
    }
  });
  window.addEventListener("popstate", () => {
    showOverview();
    app.live.since = null;
    refresh();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && $("live").checked) refresh();
    else pause(app);
  });
}

/** Show or hide the counts and the chart as the page's query string says (``overview=hidden``). */
function showOverview() {
  const hidden = pageParams().get("overview") === "hidden";
  $("overview").hidden = hidden;
  $("overview-toggle").setAttribute("aria-expanded", String(!hidden));
  $("overview-toggle").textContent = hidden ? t("Show counts and chart") : t("Hide counts and chart");
}

async function start() {
  const app = createState(new ApiClient(config, csrfToken));
  try {
    const { body } = await app.client.get(`${config.api.tasks}metadata/`, "metadata");
    app.meta = body;
  } catch (error) {
    showError(t("The results API could not be read: {message}", { message: error.message }));
    return;
  }
  app.zone = new Zone(app.meta.time_zone);
  for (const field of app.meta.fields) app.fields.set(field.name, field);
  buildFilters(app);
  buildBulk(app);
  buildHeader(app);
  wire(app);
  showOverview();
  $("live").closest("label").hidden = !config.pollSeconds; // DASHBOARD_POLL_INTERVAL = 0
  // "5 minutes ago" keeps true without a request, live updates or not.
  setInterval(refreshRelativeTimes, 15e3);
  await reload(app);
}

start();
