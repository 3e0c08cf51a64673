/*
 * The view's state in the page's query string, so that a link reopens the same view:
 * reading and changing it, and the API filters it holds.
 */

/** Return the page's query parameters. */
export const pageParams = () => new URLSearchParams(location.search);

/** Change the page's query string (``null`` removes a parameter); push a history entry. */
export function setPageParams(changes, { push = true } = {}) {
  const params = pageParams();
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") params.delete(name);
    else params.set(name, value);
  }
  const query = params.toString();
  const url = query ? `?${query}` : location.pathname;
  if (url === location.search || (url === location.pathname && !location.search)) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Return the API filters of the page's state: the parameters in ``filterParams`` (those
 * the filter controls may set) but those in ``without``, the id and name searches, and
 * the search inside the tasks' content (``q``, the API's ``search``).
 */
export function apiFilters(filterParams, { without = [] } = {}) {
  const params = pageParams();
  const filters = {};
  for (const [name, value] of params) {
    if (filterParams.has(name) && !without.includes(name)) filters[name] = value;
  }
  const id = params.get("id")?.trim();
  if (id) filters[UUID.test(id) ? "task_id" : "task_id__startswith"] = id;
  const name = params.get("name")?.trim();
  if (name) filters.task_name__icontains = name;
  const search = params.get("q")?.trim();
  if (search) filters.search = search;
  // Set by a link of the failures view (no control of its own: "Clear filters" clears them).
  for (const computed of ["exc_type", "exc_pattern"]) {
    const value = params.get(computed);
    if (value) filters[computed] = value;
  }
  return filters;
}

/** Return a key that changes when the filters of the page's state do. */
export const filterKey = (filterParams) => JSON.stringify(apiFilters(filterParams));
