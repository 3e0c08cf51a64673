/*
 * The counts by status (tasks/stats/?group_by=status): one button per status, which
 * filters the table by it, with the mean runtime and wait, and the longest wait below.
 */

import { apiUrl } from "./api.js";
import { $, el } from "./dom.js";
import { language, t } from "./page.js";
import { seconds } from "./time.js";
import { apiFilters, pageParams } from "./url-state.js";

/** Celery's states in the order of a task's life; others follow in the API's order. */
export const STATUS_ORDER = ["PENDING", "RECEIVED", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"];

/** Read and draw the counts by status of the tasks the filters (but the status) match. */
export async function loadCounts(app) {
  const filters = apiFilters(app.filterParams, { without: ["status", "status__in"] });
  const url = apiUrl(`${app.client.tasks}stats/`, { ...filters, group_by: "status" });
  // Drawn even when unchanged (a 304): which count is pressed follows the status filter.
  const { body } = await app.client.get(url, "counts");
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

/** Return the status a click on the counts chose ("" for all), or undefined for a click elsewhere. */
export function clickedStatus(event) {
  return event.target.closest("button[data-status]")?.dataset.status;
}
