/*
 * The detail panel of one task (tasks/<id>/): its fields, content, children, and the
 * revoke and retry buttons that tasks/metadata/ offers this user for its state.
 */

import { $, badge, el } from "./dom.js";
import { t } from "./page.js";
import { childRows, childrenList, resultIds, summary } from "./children.js";
import { CONTENT_KINDS, markSelected, taskLink, valueText } from "./table.js";
import { failureText } from "./failure.js";
import { dateNode, seconds } from "./time.js";
import { pageParams, setPageParams } from "./url-state.js";

const FINAL_STATES = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
const CONTENT = ["args", "kwargs", "result", "meta"];

function contentText(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Show the task the page's query string names (``task=``), or hide the panel. */
export async function loadDetail(app) {
  const taskId = pageParams().get("task");
  if (!taskId) {
    hideDetail(app);
    return;
  }
  let response;
  try {
    response = await app.client.get(app.client.taskUrl(taskId), "detail");
  } catch (error) {
    if (error.status === 404) {
      showDetailMissing(app, taskId);
      return;
    }
    throw error;
  }
  if (!response.changed && app.detail?.task_id === taskId && !$("detail").hidden) return;
  await renderDetail(app, response.body);
}

function showDetailMissing(app, taskId) {
  app.detail = { task_id: taskId, status: null };
  $("detail-title").textContent = t("No such task");
  $("detail-fields").replaceChildren(el("dt", {}, t("Task id")), el("dd", {}, taskId));
  $("detail-actions").replaceChildren();
  for (const name of [...CONTENT, "traceback"]) $(`detail-${name}`).textContent = "—";
  $("detail-error").hidden = true;
  $("detail-notice").hidden = false;
  $("detail-notice").textContent = t("No task with this id is stored, or it is outside what you may see.");
  $("detail").hidden = false;
}

/** Show ``task`` (a row of the API) in the panel. */
export async function renderDetail(app, task) {
  const opening = $("detail").hidden || app.detail?.task_id !== task.task_id;
  app.detail = task;
  $("detail-title").replaceChildren(task.task_name ?? t("Task"), " ", badge(task.status));
  const failure = failureText(task.result);
  $("detail-error").textContent = failure ?? "";
  $("detail-error").hidden = failure === null;
  const list = [];
  for (const field of app.meta.fields) {
    if (CONTENT_KINDS.has(field.kind) || field.name === "task_name" || field.name === "status") continue;
    let value;
    if (field.kind === "date") value = dateNode(app.zone, task[field.name]);
    else if (field.name === "wait" && task.status === "PENDING" && task.date_created) {
      // Still queued: how long it has waited so far.
      value = t("{value} so far", { value: seconds((Date.now() - Date.parse(task.date_created)) / 1000) });
    } else if (field.name === "runtime" || field.name === "wait") value = seconds(task[field.name]);
    else value = valueText(app, field, task[field.name]);
    // Until a task finishes, date_done is the time of its last stored state, not its end.
    const name = field.name === "date_done" && !FINAL_STATES.has(task.status) ? t("Last change") : field.label;
    const label = field.kind === "date" ? `${name} (${app.zone.name})` : name;
    list.push(el("dt", {}, label), el("dd", {}, value));
  }
  $("detail-fields").replaceChildren(...list);
  for (const name of CONTENT) $(`detail-${name}`).textContent = contentText(task[name]);
  let traceback = contentText(task.traceback);
  if (task.traceback == null && !app.meta.traceback_visible) traceback = `— ${t("(tracebacks are hidden from you)")}`;
  $("detail-traceback").textContent = traceback;
  $("detail-api-link").href = app.client.taskUrl(task.task_id);
  renderActions(app, task);
  markSelected(task.task_id);
  $("detail").hidden = false;
  if (opening) {
    $("detail-notice").hidden = true;
    $("detail-title").focus();
  }
  const ids = (task.meta?.children ?? []).flatMap((child) => resultIds(child));
  $("detail-children-block").hidden = ids.length === 0;
  if (ids.length) {
    const rows = await childRows(app, ids, "detail-children");
    $("detail-children").replaceChildren(el("li", {}, summary(ids, rows)), ...childrenList(ids, rows));
  }
}

function renderActions(app, task) {
  const buttons = [];
  const actions = app.meta.actions ?? {};
  const button = (action, className, text) => el("button", { type: "button", className, dataset: { action } }, text);
  if (actions.revoke?.states.includes(task.status)) {
    buttons.push(button("revoke", "action", t("Revoke")));
    if (task.status === "STARTED") buttons.push(button("terminate", "action danger", t("Revoke and terminate")));
  }
  if (actions.retry?.states.includes(task.status)) buttons.push(button("retry", "action", t("Retry")));
  $("detail-actions").replaceChildren(...buttons);
}

/** Ask, then send ``action`` (revoke, terminate or retry) for the task shown; say what came of it. */
export async function act(app, action) {
  const task = app.detail;
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
  const url = app.client.taskUrl(task.task_id);
  try {
    if (action === "retry") {
      const answer = await app.client.post(`${url}retry/`);
      notice.replaceChildren(`${t("Sent again as")} `, taskLink({ task_id: answer.task_id }, answer.task_id), ".");
    } else {
      await app.client.post(`${url}revoke/`, { terminate: action === "terminate" });
      notice.textContent = t("Revoke sent to the workers; the state changes once a worker acts on it.");
    }
  } catch (error) {
    notice.textContent = t("Not done ({status}): {message}", { status: error.status, message: error.message });
  }
}

/** Hide the panel (the page's query string is left as it is). */
export function hideDetail(app) {
  app.detail = null;
  $("detail").hidden = true;
  markSelected(null);
}

/** Close the panel: drop ``task=`` from the page's query string, and focus the task's link. */
export function closeDetail(app) {
  if ($("detail").hidden) return;
  const taskId = app.detail?.task_id;
  setPageParams({ task: null });
  hideDetail(app);
  const link = taskId && document.querySelector(`a.task-link[data-task-id="${CSS.escape(taskId)}"]`);
  (link ?? $("results-heading")).focus();
}
