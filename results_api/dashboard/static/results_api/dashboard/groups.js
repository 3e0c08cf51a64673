/*
 * The groups view (groups/): a cursor page of groups and chords with their tasks' states,
 * and the tasks of the group the page's query string names (``group=``), a page at a time
 * from the group's own endpoint (groups/<id>/tasks/, ``gafter=``): a group of any size,
 * whose ids never go in a URL.
 */

import { apiUrl } from "./api.js";
import { childrenList, stateSummary } from "./children.js";
import { $, el } from "./dom.js";
import { t } from "./page.js";
import { PAGE_SIZE } from "./table.js";
import { dateNode } from "./time.js";
import { pageParams } from "./url-state.js";

/** Read and draw the groups' page and the open group; return whether the page changed. */
export async function loadGroups(app) {
  const params = pageParams();
  const url = apiUrl(app.client.groups, { cursor: params.get("gcursor"), page_size: PAGE_SIZE });
  const { body, changed } = await app.client.get(url, "groups");
  app.groups.next = body.next;
  app.groups.previous = body.previous;
  $("groups-next").disabled = !body.next;
  $("groups-prev").disabled = !body.previous;
  $("groups-first").disabled = !params.get("gcursor");
  const groupId = params.get("group");
  // Each group's count per state (a page of one task); the open group's page of tasks.
  const members = await Promise.all(
    body.results.map(async (group) => {
      const open = group.group_id === groupId;
      const size = open ? app.meta.max_page_size : 1;
      const after = open ? params.get("gafter") : null;
      return [group, await groupTasks(app, group.group_id, { after, page_size: size })];
    }),
  );
  $("groups").tBodies[0].replaceChildren(
    ...members.map(([group, tasks]) => {
      const link = new URLSearchParams(params);
      link.set("group", group.group_id);
      link.delete("gafter");
      const groupLink = el("a", { href: `?${link}`, className: "group-link", dataset: { groupId: group.group_id } }, el("code", {}, group.group_id));
      return el(
        "tr",
        { className: group.group_id === groupId ? "selected" : null },
        el("td", { dataset: { label: t("Group id") } }, groupLink),
        el("td", { dataset: { label: t("Created") } }, dateNode(app.zone, group.date_created)),
        el("td", { dataset: { label: t("Last saved") } }, dateNode(app.zone, group.date_done)),
        el("td", { dataset: { label: t("Tasks") } }, stateSummary(tasks.count, tasks.states)),
      );
    }),
  );
  $("groups-empty").hidden = body.results.length > 0;
  const open = members.find(([group]) => group.group_id === groupId);
  $("group-detail").hidden = !open;
  if (open) {
    const [group, tasks] = open;
    const rows = new Map(tasks.results.map((row) => [row.task_id, row]));
    $("group-detail-title").textContent = t("Group {id}", { id: group.group_id });
    $("group-children").replaceChildren(...childrenList([...rows.keys(), ...tasks.missing], rows));
    app.groups.tasksNext = afterOf(tasks.next);
    app.groups.tasksPrevious = afterOf(tasks.previous);
    $("group-tasks-next").disabled = tasks.next === null;
    $("group-tasks-prev").disabled = tasks.previous === null;
  }
  return changed;
}

/** Return a page of a group's tasks: {count, states, next, previous, results, missing}. */
async function groupTasks(app, groupId, params) {
  const url = apiUrl(`${app.client.groups}${encodeURIComponent(groupId)}/tasks/`, params);
  return (await app.client.get(url)).body;
}

/** Return the ``after`` parameter of a page link of a group's tasks, or null. */
function afterOf(link) {
  return link ? new URL(link, location.origin).searchParams.get("after") : null;
}
