/*
 * What the server wrote into the page for the script: the configuration (where the API
 * is, how often to poll, the log-in URL, the translated strings), the CSRF token and the
 * page's language. Read once, when the page loads, and never changed.
 */

/** The page's configuration, from its ``dashboard-config`` JSON script. */
export const config = Object.freeze(JSON.parse(document.getElementById("dashboard-config").textContent));

/** The CSRF token the actions send (from ``<meta name="csrf-token">``). */
export const csrfToken = document.querySelector("meta[name=csrf-token]")?.content ?? "";

/** The page's language, as the server chose it. */
export const language = document.documentElement.lang || "en";

/** Return ``text`` in the page's language (config.messages), with its {name} placeholders filled. */
export function t(text, values = {}) {
  return (config.messages?.[text] ?? text).replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}
