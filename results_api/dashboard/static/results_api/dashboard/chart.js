/*
 * The chart of tasks by last change (tasks/stats/?group_by=status&interval=): buckets of a
 * minute, an hour or a day of the project's time zone, over the chosen "last ..." range or
 * the range of the "Done" filter, drawn as stacked SVG bars.
 */

import { apiUrl } from "./api.js";
import { STATUS_ORDER } from "./counts.js";
import { $, badge, el, svg } from "./dom.js";
import { t } from "./page.js";
import { apiFilters, pageParams } from "./url-state.js";

/** The "last ..." ranges of the range select: their span and interval. */
export const RANGES = {
  "15m": { span: 15 * 60e3, interval: "minute" },
  "1h": { span: 3600e3, interval: "minute" },
  "6h": { span: 6 * 3600e3, interval: "hour" },
  "24h": { span: 24 * 3600e3, interval: "hour" },
  "7d": { span: 7 * 86400e3, interval: "day" },
  "30d": { span: 30 * 86400e3, interval: "day" },
};
const STEPS = { minute: 60e3, hour: 3600e3, day: 86400e3 };

/** Set the range select from the page's query string. */
export function readRange() {
  const range = pageParams().get("range");
  $("chart-range").value = RANGES[range] ? range : "1h";
}

/**
 * Return the chart's buckets (``times``: their starts, in ms): the range the "Done" filter
 * gives (with an interval that keeps the bars readable), else the chosen "last ..." range,
 * up to now; buckets of the project's clock, as the API's.
 */
export function chartWindow(app) {
  const params = pageParams();
  const from = Date.parse(params.get("date_done__gte") ?? "");
  if (!Number.isNaN(from)) {
    const to = Date.parse(params.get("date_done__lte") ?? "");
    const end = Number.isNaN(to) ? Date.now() : to;
    const interval = ["minute", "hour", "day"].find((name) => (end - from) / STEPS[name] <= 180) ?? "day";
    const times = app.zone.buckets(from, end, STEPS[interval], app.meta.stats_max_buckets);
    return { times, interval, last: Number.isNaN(to) ? null : to };
  }
  const range = RANGES[$("chart-range").value] ?? RANGES["1h"];
  const step = STEPS[range.interval];
  const now = Date.now();
  const count = Math.round(range.span / step);
  const current = Math.floor(app.zone.wallOf(now) / step) * step;
  const first = app.zone.utcOf(current - (count - 1) * step);
  return { times: app.zone.buckets(first, now, step), interval: range.interval, last: null };
}

/** Return a key that changes when the chart's buckets do (a new minute, hour or day). */
export function chartWindowKey(app) {
  const { times, interval } = chartWindow(app);
  return `${interval}:${times[0]}`;
}

/** Return the index of the bucket of ``times`` (ascending starts) that holds ``time``, or -1. */
function bucketIndex(times, time) {
  let index = -1;
  for (let i = 0; i < times.length && times[i] <= time; i += 1) index = i;
  return index;
}

/** Read the counts per bucket and draw the chart (unless nothing changed). */
export async function loadChart(app) {
  const { times, interval, last } = chartWindow(app);
  const url = apiUrl(`${app.client.tasks}stats/`, {
    ...apiFilters(app.filterParams, { without: ["date_done__gte", "date_done__lte"] }),
    group_by: "status",
    interval,
    date_done__gte: new Date(times[0]).toISOString(),
    date_done__lte: last === null ? null : new Date(last).toISOString(),
  });
  const custom = pageParams().has("date_done__gte");
  $("chart-range").disabled = custom;
  $("chart-custom").hidden = !custom;
  const { body, changed } = await app.client.get(url, "chart");
  if (!changed && url === app.chart.key && $("chart-svg")) return;
  app.chart.key = url;
  const buckets = times.map((time) => ({ time, counts: {}, total: 0 }));
  for (const row of body.results) {
    const bucket = buckets[bucketIndex(times, Date.parse(row.bucket))];
    if (!bucket) continue;
    bucket.counts[row.status] = (bucket.counts[row.status] ?? 0) + row.count;
    bucket.total += row.count;
  }
  $("chart-interval").textContent = t(interval);
  drawChart(app.zone, buckets, interval);
}

function axisScale(value) {
  const rough = value / 4;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough));
  return { max: step * Math.ceil(value / step), step };
}

function drawChart(zone, buckets, interval) {
  const width = 760;
  const height = 200;
  const pad = { left: 40, right: 8, top: 10, bottom: 24 };
  const plotWidth = width - pad.left - pad.right;
  const plotHeight = height - pad.top - pad.bottom;
  const total = buckets.reduce((sum, bucket) => sum + bucket.total, 0);
  const { max, step } = axisScale(Math.max(1, ...buckets.map((bucket) => bucket.total)));
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": t("{total} tasks last changed in the range, per {interval}; the largest {interval} had {most}.", {
      total,
      interval: t(interval),
      most: Math.max(0, ...buckets.map((b) => b.total)),
    }),
    id: "chart-svg",
    preserveAspectRatio: "none",
  });
  for (let tick = 0; tick <= max; tick += step) {
    const y = pad.top + plotHeight * (1 - tick / max);
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
    chart.append(svg("text", { x: pad.left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, String(tick)));
  }
  const barWidth = plotWidth / buckets.length;
  const labelEvery = Math.ceil(buckets.length / 8);
  const seen = new Set();
  buckets.forEach((bucket, position) => {
    const x = pad.left + position * barWidth;
    let y = pad.top + plotHeight;
    const order = [...STATUS_ORDER, ...Object.keys(bucket.counts).filter((s) => !STATUS_ORDER.includes(s))];
    for (const status of order) {
      const count = bucket.counts[status];
      if (!count) continue;
      seen.add(status);
      const barHeight = (count / max) * plotHeight;
      y -= barHeight;
      const rect = svg("rect", { x: x + 1, y, width: Math.max(1, barWidth - 2), height: barHeight, class: `bar status-${status.toLowerCase()}` });
      rect.append(svg("title", {}, `${zone.fullDate(new Date(bucket.time).toISOString())}: ${count} ${status}`));
      chart.append(rect);
    }
    if (position % labelEvery === 0) {
      chart.append(svg("text", { x: x + barWidth / 2, y: height - 6, class: "axis", "text-anchor": "middle" }, zone.bucketLabel(bucket.time, interval)));
    }
  });
  const legend = el("div", { className: "legend" });
  for (const status of STATUS_ORDER.filter((s) => seen.has(s))) legend.append(badge(status));
  if (seen.size === 0) legend.textContent = t("No task changed in this range.");
  $("chart").replaceChildren(chart, legend);
}
