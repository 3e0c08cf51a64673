/*
 * Bulk actions over the tasks the page's filters select, or over the rows picked in the
 * table: the actions tasks/metadata/ lists for this user, a preview of what one would do
 * (GET tasks/bulk/<action>/ with the page's filters, or task_id__in= the picked ids), then,
 * on confirmation, the action (POST with the preview's token) and its outcome.
 */

import { apiUrl } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./page.js";
import { apiFilters } from "./url-state.js";

// The most rows that may be picked: their ids travel in the URL, which servers cap (about 4 KB).
export const MAX_PICKED = 60;
// A confirmation refused for what it carries (its token, the user's rights) fails again if
// sent again. After any other failure (a run in progress, the broker, a proxy's timeout) the
// same token resumes the same run, where a new preview would start another one.
const REFUSED_FOR_GOOD = new Set([400, 403, 404]);

/** Return the name of bulk action ``name`` in the page's language. */
const label = (name) => ({ retry: t("Retry"), revoke: t("Revoke"), delete: t("Delete") })[name] ?? name;

/** Offer the bulk actions this user may take, or hide the control when there is none. */
export function buildBulk(app) {
  const allowed = app.meta.bulk_actions ?? [];
  $("bulk").hidden = allowed.length === 0;
  $("bulk-action").replaceChildren(...allowed.map((name) => new Option(label(name), name)));
}

/** Ask the API what the chosen action would do to the tasks of the page's filters; show it. */
export async function previewBulk(app) {
  const action = $("bulk-action").value;
  const filters = app.selection.size
    ? { task_id__in: [...app.selection].join(",") }
    : apiFilters(app.filterParams);
  const url = apiUrl(`${app.client.tasks}bulk/${action}/`, filters);
  app.bulk = null;
  try {
    const { body } = await app.client.get(url, null);
    app.bulk = { url, token: body.token };
    const skipped = body.skipped.map((entry) => el("li", {}, `${entry.count}: ${entry.description}`));
    show(
      t("{action}: {matched} tasks, of which {acting} will be acted on.", {
        action: label(action),
        matched: body.matched,
        acting: body.acting_on,
      }),
      skipped,
      body.acting_on > 0,
    );
  } catch (error) {
    show(t("Not done ({status}): {message}", { status: error.status, message: error.message }), [], false);
  }
}

/** Carry out the previewed action and show its outcome; ``done`` then refreshes the view. */
export async function confirmBulk(app, done) {
  if (!app.bulk) return;
  const { url, token } = app.bulk;
  $("bulk-confirm").disabled = true;
  try {
    const body = await app.client.post(url, { token });
    app.bulk = null;
    show(t("Done: {acted} of {matched} tasks acted on.", { acted: body.acted, matched: body.matched }), [], false);
    app.selection.clear();
    showScope(app);
    await done();
  } catch (error) {
    const resumable = !REFUSED_FOR_GOOD.has(error.status);
    if (!resumable) app.bulk = null;
    const failed = t("Not done ({status}): {message}", { status: error.status, message: error.message });
    const again = `${failed}${/[.!?]$/.test(failed) ? "" : "."} ${t("Confirm again to go on with the same run.")}`;
    show(resumable ? again : failed, [], resumable);
  }
}

/** Pick or unpick the row of ``checkbox`` (at most MAX_PICKED); say what the action acts on. */
export function pickRow(app, checkbox) {
  const taskId = checkbox.dataset.taskId;
  if (checkbox.checked && app.selection.size >= MAX_PICKED) checkbox.checked = false;
  if (checkbox.checked) app.selection.add(taskId);
  else app.selection.delete(taskId);
  showScope(app);
}

/** Say whether the bulk action takes the picked rows or every task the filters select. */
export function showScope(app) {
  $("bulk-scope").textContent = app.selection.size
    ? t("Act on the {count} selected tasks", { count: app.selection.size })
    : t("Act on every task these filters select");
}

/** Close the preview without acting. */
export function cancelBulk(app) {
  app.bulk = null;
  $("bulk-preview").hidden = true;
  $("bulk-action").focus();
}

function show(summary, skipped, confirmable) {
  $("bulk-summary").textContent = summary;
  $("bulk-skipped").replaceChildren(...skipped);
  $("bulk-skipped").hidden = skipped.length === 0;
  $("bulk-confirm").hidden = !confirmable;
  $("bulk-confirm").disabled = false;
  $("bulk-preview").hidden = false;
  (confirmable ? $("bulk-confirm") : $("bulk-cancel")).focus();
}
