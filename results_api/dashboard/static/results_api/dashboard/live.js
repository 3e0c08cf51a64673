/*
 * Loading the view the page's query string describes, and keeping it live: every
 * ``pollSeconds`` one conditional request asks whether anything the filters match changed
 * (an idle poll is a 304), and only then is the rest read again.
 */

import { apiUrl } from "./api.js";
import { chartWindowKey, loadChart, readRange } from "./chart.js";
import { loadCounts } from "./counts.js";
import { loadDetail, renderDetail } from "./detail.js";
import { $, showError } from "./dom.js";
import { loadTaskNames, readControls } from "./filters.js";
import { loadGroups } from "./groups.js";
import { loadFailures, loadNames } from "./summaries.js";
import { config, t } from "./page.js";
import { loadTable } from "./table.js";
import { refreshRelativeTimes } from "./time.js";
import { apiFilters, filterKey, pageParams } from "./url-state.js";

const VIEWS = ["tasks", "groups", "failures", "names"];

/** Show the view the page's query string names (tasks by default); return its name. */
export function showView() {
  const named = pageParams().get("view");
  const view = VIEWS.includes(named) ? named : "tasks";
  for (const name of VIEWS) $(`${name}-view`).hidden = view !== name;
  for (const tab of document.querySelectorAll(".tabs a")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  return view;
}

function stamp(app, text) {
  $("updated").textContent = `${text} ${app.zone.clock(Date.now())}`;
}

async function settle(work) {
  const outcomes = await Promise.allSettled(work);
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed?.reason?.status === 429) showError(t("The API asks to slow down (429); the next update will try again."));
  else showError(failed ? t("The API answered: {message}", { message: failed.reason.message }) : "");
}

/** Start reading the tasks view: the page, the counts, the chart, and the task names once a minute. */
function loadTasksView(app) {
  const work = [loadTable(app), loadCounts(app), loadChart(app)];
  if (Date.now() - app.names.at > 60e3) work.push(loadTaskNames(app));
  return work;
}

/** Start reading a view other than the tasks: the groups, the failures or the task names. */
function loadOtherView(app, view) {
  return { groups: loadGroups, failures: loadFailures, names: loadNames }[view](app);
}

/** Load everything the current state shows. */
async function load(app) {
  readControls(app);
  readRange();
  const view = showView();
  const work = [loadDetail(app)];
  if (view === "tasks") work.push(...loadTasksView(app));
  else work.push(loadOtherView(app, view));
  await settle(work);
  stamp(app, t("Updated"));
}

/** Ask what changed since the last poll; load more only when something did. */
async function poll(app) {
  refreshRelativeTimes();
  const view = showView();
  const work = [];
  if (view !== "tasks") {
    work.push(loadOtherView(app, view));
  } else if (app.live.since === null || app.live.sinceKey !== filterKey(app.filterParams)) {
    work.push(loadTable(app), loadCounts(app), loadChart(app));
  } else {
    work.push(pollDelta(app));
  }
  const detail = app.detail;
  if (detail && !app.meta.ready_states.includes(detail.status) && !app.table.rows.has(detail.task_id)) {
    work.push(loadDetail(app));
  }
  await settle(work);
}

/**
 * Ask whether anything the filters match changed since the last poll: the newest change
 * only (one row), with If-None-Match, so that an unchanged answer is a 304 with no body.
 * When something changed, the page, the counts and the chart are read again, each with
 * its own ETag: the rows shown are then exactly the API's, whatever the order or page.
 */
async function pollDelta(app) {
  const url = apiUrl(app.client.tasks, {
    ...apiFilters(app.filterParams),
    updated_since: app.live.since,
    ordering: "-date_done",
    page_size: 1,
  });
  const { body, changed, headers } = await app.client.get(url, `delta:${app.live.sinceKey}`);
  app.live.since = headers.get("Next-Updated-Since") ?? app.live.since;
  const windowMoved = chartWindowKey(app) !== app.live.chartWindow;
  if (!changed || body.results.length === 0) {
    if (windowMoved) await loadChart(app);
    stamp(app, changed ? t("No changes") : t("No changes (304)"));
    return;
  }
  await Promise.all(loadTasksView(app));
  const shown = app.detail && app.table.rows.get(app.detail.task_id);
  if (shown && shown.date_done !== app.detail.date_done) await renderDetail(app, shown);
  stamp(app, t("Changes shown"));
}

/** Plan the next poll, if live updates are on, polling is configured and the page is seen. */
export function schedule(app) {
  clearTimeout(app.live.timer);
  if (!$("live").checked || !config.pollSeconds || document.hidden) return;
  app.live.timer = setTimeout(async () => {
    if (!app.live.busy) {
      app.live.busy = true;
      try {
        app.live.chartWindow ??= chartWindowKey(app);
        await poll(app);
        app.live.chartWindow = chartWindowKey(app);
      } finally {
        app.live.busy = false;
      }
    }
    schedule(app);
  }, config.pollSeconds * 1000);
}

/** Load the whole view now (no poll meanwhile), then plan the next poll. */
export async function reload(app) {
  clearTimeout(app.live.timer);
  app.live.busy = true;
  try {
    await load(app);
    app.live.chartWindow = chartWindowKey(app);
  } finally {
    app.live.busy = false;
    schedule(app);
  }
}

/** Stop polling (until the next ``schedule``). */
export function pause(app) {
  clearTimeout(app.live.timer);
}
