/*
 * The groups view (groups/): a cursor page of groups and chords with their tasks' states,
 * and the tasks of the group the page's query string names (``group=``).
 */

import { apiUrl } from "./api.js";
import { childRows, childrenList, resultIds, summary } from "./children.js";
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
  const members = body.results.map((group) => [group, resultIds(group.result)]);
  const rows = await childRows(app, members.flatMap(([, ids]) => ids), "group-children");
  const groupId = params.get("group");
  $("groups").tBodies[0].replaceChildren(
    ...members.map(([group, ids]) => {
      const link = new URLSearchParams(params);
      link.set("group", group.group_id);
      const groupLink = el("a", { href: `?${link}`, className: "group-link", dataset: { groupId: group.group_id } }, el("code", {}, group.group_id));
      return el(
        "tr",
        { className: group.group_id === groupId ? "selected" : null },
        el("td", { dataset: { label: t("Group id") } }, groupLink),
        el("td", { dataset: { label: t("Created") } }, dateNode(app.zone, group.date_created)),
        el("td", { dataset: { label: t("Last saved") } }, dateNode(app.zone, group.date_done)),
        el("td", { dataset: { label: t("Tasks") } }, summary(ids, rows)),
      );
    }),
  );
  $("groups-empty").hidden = body.results.length > 0;
  const open = members.find(([group]) => group.group_id === groupId);
  $("group-detail").hidden = !open;
  if (open) {
    const [group, ids] = open;
    $("group-detail-title").textContent = t("Group {id}", { id: group.group_id });
    $("group-children").replaceChildren(...childrenList(ids, rows));
  }
  return changed;
}
