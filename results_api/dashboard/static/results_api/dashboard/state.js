/*
 * Everything the dashboard keeps between two renders, declared in one place. ``main``
 * makes one and hands it to every module that reads or writes it; the rest of the view's
 * state is in the page's query string (url-state.js).
 */

import { Zone } from "./time.js";

/** Return the dashboard's state, empty, around the API client ``client``. */
export function createState(client) {
  return {
    /** The ApiClient every request goes through (it keeps the answers' ETags). */
    client,
    /** tasks/metadata/: fields, filters, orderings, actions, time zone (set once, at start). */
    meta: null,
    /** field name -> its description in the metadata. */
    fields: new Map(),
    /** The project's time zone, in which dates are shown and typed. */
    zone: new Zone("UTC"),
    /** Every API filter parameter the filter controls may set. */
    filterParams: new Set(),
    /** field name -> Map(value -> label), for the fields with choices. */
    labels: new Map(),
    /** The results table: its rows (task_id -> row) and the API's links to the pages beside. */
    table: { rows: new Map(), next: null, previous: null },
    /** The groups table's links to the pages beside. */
    groups: { next: null, previous: null, tasksNext: null, tasksPrevious: null },
    /** The bulk action previewed and not yet confirmed: its URL and token, or null. */
    bulk: null,
    /** The task ids picked in the table for a bulk action (none: every task the filters select). */
    selection: new Set(),
    /** The task shown in the detail panel, or null. */
    detail: null,
    /** The chart: the URL of the counts it shows. */
    chart: { key: null },
    /** When the task names of the name search were last read (ms). */
    names: { at: 0 },
    /**
     * Live updates: ``since`` (updated_since of the next delta) and ``sinceKey`` (the
     * filters it belongs to), ``chartWindow`` (the chart's buckets when last drawn), the
     * next poll's ``timer``, and ``busy`` while a load or poll runs.
     */
    live: { since: null, sinceKey: null, chartWindow: null, timer: null, busy: false },
  };
}
