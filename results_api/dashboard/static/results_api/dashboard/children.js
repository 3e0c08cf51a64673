/*
 * The tasks of a group, a chord or a task's children: their ids from Celery's result
 * tuples, their rows read in short pages of ``task_id__in``, and their list and summary.
 */

import { apiUrl } from "./api.js";
import { badge, el } from "./dom.js";
import { t } from "./page.js";
import { taskLink } from "./table.js";
import { seconds } from "./time.js";

/** Return the task ids in Celery's result tuples: ((id, parent), None) or ((id, parent), [children]). */
export function resultIds(tuple, out = []) {
  if (!Array.isArray(tuple) || tuple.length !== 2 || !Array.isArray(tuple[0])) return out;
  const [[id], children] = tuple;
  if (Array.isArray(children)) for (const child of children) resultIds(child, out);
  else if (typeof id === "string") out.push(id);
  return out;
}

// The most task ids in one request: their URL stays within a default server's request
// line (gunicorn's 4,094 bytes) for ids of up to 50 characters.
const IDS_PER_REQUEST = 60;

/** Return task_id -> row of the ``ids`` the API shows this user (``key``: the ETags' key). */
export async function childRows(app, ids, key) {
  if (!ids.length) return new Map();
  const max = Math.min(app.meta.max_page_size, IDS_PER_REQUEST);
  const found = new Map();
  for (let start = 0; start < ids.length; start += max) {
    const chunk = ids.slice(start, start + max);
    const url = apiUrl(app.client.tasks, { task_id__in: chunk.join(","), page_size: max });
    const { body } = await app.client.get(url, `${key}:${start}`);
    for (const row of body.results) found.set(row.task_id, row);
  }
  return found;
}

/** Return a list item per id: its state, a link to its detail, its id and runtime. */
export function childrenList(ids, rows) {
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

/** Return "N tasks:" and a count per state of the tasks ``ids``, from their ``rows``. */
export function summary(ids, rows) {
  const states = {};
  for (const id of ids) {
    const status = rows.get(id)?.status;
    if (status) states[status] = (states[status] ?? 0) + 1;
  }
  return stateSummary(ids.length, states);
}

/** Return "N tasks:" and the count of each state; those with no row the caller sees are "unknown". */
export function stateSummary(count, states) {
  const node = el("span", { className: "summary" }, t("{count} tasks: ", { count }));
  let known = 0;
  for (const [status, number] of Object.entries(states)) {
    known += number;
    node.append(el("span", { className: "summary-item" }, `${number} `, badge(status)));
  }
  if (count > known) node.append(el("span", { className: "summary-item" }, `${count - known} `, badge("unknown")));
  return node;
}
