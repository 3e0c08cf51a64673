/*
 * Two views from the stats API, for a glance instead of a page of rows: failures grouped
 * by exception type and message pattern (tasks/stats/?status=FAILURE&group_by=exc_type,
 * exc_pattern: the message with each word holding a digit written #), and one row per task
 * name (tasks/stats/?group_by=task_name) with its failure rate and duration percentiles.
 * Each row links to its tasks in the tasks view.
 */

import { apiUrl } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./page.js";
import { dateNode, seconds } from "./time.js";

function cell(label, content) {
  return el("td", { dataset: { label } }, content);
}

function tasksLink(params, text) {
  const query = new URLSearchParams({ live: "0", ...params });
  return el("a", { href: `?${query}` }, text);
}

/** Read and draw the failures by exception type and message pattern, the most frequent first. */
export async function loadFailures(app) {
  const url = apiUrl(`${app.client.tasks}stats/`, { status: "FAILURE", group_by: "exc_type,exc_pattern" });
  const { body } = await app.client.get(url, "failures");
  const rows = [...body.results].sort((a, b) => b.count - a.count);
  $("failures").tBodies[0].replaceChildren(
    ...rows.map((row) => {
      const type = row.exc_type ?? t("(unnamed)");
      const name = row.exc_pattern ? `${type}: ${row.exc_pattern}` : type;
      const params = { status: "FAILURE", exc_type: row.exc_type };
      if (row.exc_pattern !== null) params.exc_pattern = row.exc_pattern;
      const link = row.exc_type ? tasksLink(params, name) : name;
      return el(
        "tr",
        {},
        cell(t("Exception"), el("span", { className: "failure-type" }, link)),
        cell(t("Failures"), String(row.count)),
        cell(t("First seen"), dateNode(app.zone, row.first_seen)),
        cell(t("Last seen"), dateNode(app.zone, row.last_seen)),
      );
    }),
  );
  $("failures-empty").hidden = rows.length > 0;
}

/** Read and draw one row per task name: counts, failure rate, runtime and wait percentiles. */
export async function loadNames(app) {
  const url = apiUrl(`${app.client.tasks}stats/`, { group_by: "task_name" });
  const { body } = await app.client.get(url, "names-table");
  const rows = [...body.results].sort((a, b) => b.count - a.count);
  const percent = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)} %` : "—");
  $("names").tBodies[0].replaceChildren(
    ...rows.map((row) =>
      el(
        "tr",
        {},
        cell(t("Task"), row.task_name ? tasksLink({ name: row.task_name }, row.task_name) : t("(unnamed)")),
        cell(t("Tasks"), String(row.count)),
        cell(t("Failures"), String(row.failures ?? 0)),
        cell(t("Failure rate"), percent(row.failures ?? 0, row.count)),
        cell(t("Runtime p50"), seconds(row.runtime_p50)),
        cell(t("Runtime p95"), seconds(row.runtime_p95)),
        cell(t("Wait p50"), seconds(row.wait_p50)),
        cell(t("Wait p95"), seconds(row.wait_p95)),
        cell(t("Last seen"), dateNode(app.zone, row.last_seen)),
      ),
    ),
  );
  $("names-empty").hidden = rows.length > 0;
}
