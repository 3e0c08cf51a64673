/*
 * Building the page's elements: a shorthand for finding one by id, HTML and SVG element
 * builders, a status badge, and the page's error line.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** Return the element with id ``id``. */
export const $ = (id) => document.getElementById(id);

/** Return a new HTML element with ``attributes`` (className, dataset, or any attribute) and ``children``. */
export function el(name, attributes = {}, ...children) {
  const element = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

/** Return a new SVG element with ``attributes`` and, when given, ``text``. */
export function svg(name, attributes = {}, text = null) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== null) element.textContent = text;
  return element;
}

/** Return a coloured badge naming a task's status. */
export function badge(status) {
  return el("span", { className: `badge status-${String(status).toLowerCase()}` }, status ?? "—");
}

/** Show ``message`` in the page's error line; hide the line when there is none. */
export function showError(message) {
  $("error").textContent = message ?? "";
  $("error").hidden = !message;
}
