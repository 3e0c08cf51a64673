/*
 * Dates and durations as the dashboard shows them: in the project's time zone (TIME_ZONE,
 * from tasks/metadata/), whatever the browser's, with how long ago below.
 */

import { language } from "./page.js";

/** Wall-clock arithmetic in one IANA time zone (``UTC`` when the browser does not know the name). */
export class Zone {
  constructor(name) {
    try {
      this.parts = new Intl.DateTimeFormat("en-US", {
        timeZone: name,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
      this.name = name;
    } catch {
      return new Zone("UTC");
    }
  }

  /** Return {year, month, day, hour, minute, second} (two-digit strings) of the wall clock at ``ms``. */
  wall(ms) {
    const parts = {};
    for (const { type, value } of this.parts.formatToParts(new Date(ms))) parts[type] = value;
    return parts;
  }

  /** Return the zone's offset from UTC at ``ms``, in milliseconds. */
  offset(ms) {
    const p = this.wall(ms);
    const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return wall - Math.floor(ms / 1000) * 1000;
  }

  /** Return the wall-clock time at ``ms`` as milliseconds since the epoch of a UTC clock showing it. */
  wallOf(ms) {
    return ms + this.offset(ms);
  }

  /**
   * Return the moment (ms) at which the zone's clocks show ``wall`` (as from ``wallOf``). A
   * time shown twice, when the clocks go back, is its first moment; a time never shown,
   * when they go forward, is read with the offset before the change (as Python's zoneinfo
   * and Django read them).
   */
  utcOf(wall) {
    const before = wall - this.offset(wall - 86400e3);
    const after = wall - this.offset(wall + 86400e3);
    if (before === after || this.wallOf(before) === wall) return before;
    return this.wallOf(after) === wall ? after : before;
  }

  /** Return a datetime-local value (wall time in the zone) as ISO 8601 UTC. */
  wallToIso(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
    if (!match) return "";
    const [, y, mo, d, h, mi, s = "0"] = match;
    return new Date(this.utcOf(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s))).toISOString();
  }

  /** Return an ISO date-time as a datetime-local value in the zone. */
  isoToWall(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return "";
    const p = this.wall(ms);
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  }

  /** Return an ISO date-time as ``YYYY-MM-DD hh:mm:ss.mmm`` in the zone. */
  fullDate(iso) {
    const ms = Date.parse(iso);
    const p = this.wall(ms);
    const millis = String(new Date(ms).getUTCMilliseconds()).padStart(3, "0");
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${millis}`;
  }

  /**
   * Return the starts of the clock's buckets of ``step`` from the one holding ``from`` to the
   * one holding ``to``, at most ``max``: a day of 23 or 25 hours is one bucket, an hour the
   * clocks repeat is one bucket of two (as the API counts them), an hour they skip is none.
   * The first bucket is there even when ``to`` is before it.
   */
  buckets(from, to, step, max = Infinity) {
    const times = [];
    for (let wall = Math.floor(this.wallOf(from) / step) * step; times.length < max; wall += step) {
      const start = this.utcOf(wall);
      if (start > to && times.length > 0) break;
      if (times.length === 0 || start > times[times.length - 1]) times.push(start);
    }
    return times;
  }

  /** Return the time of day (``hh:mm``) of ``ms``, or its date (``MM-DD``) for a day's bucket. */
  bucketLabel(ms, interval) {
    const p = this.wall(ms);
    return interval === "day" ? `${p.month}-${p.day}` : `${p.hour}:${p.minute}`;
  }

  /** Return the time of day at ``ms`` as ``hh:mm:ss``. */
  clock(ms) {
    const p = this.wall(ms);
    return `${p.hour}:${p.minute}:${p.second}`;
  }
}

const relativeFormat = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "long" });

/** Return how long ago (or from now) ``iso`` is, in the page's language. */
export function relative(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return relativeFormat.format(Math.round(seconds), "second");
  if (abs < 2700) return relativeFormat.format(Math.round(seconds / 60), "minute");
  if (abs < 79200) return relativeFormat.format(Math.round(seconds / 3600), "hour");
  return relativeFormat.format(Math.round(seconds / 86400), "day");
}

/** Return a <time> with the full date in ``zone`` and, below, how long ago. */
export function dateNode(zone, iso) {
  if (!iso) return document.createTextNode("—");
  const time = document.createElement("time");
  time.dateTime = iso;
  time.className = "date";
  const full = document.createElement("span");
  full.className = "full";
  full.textContent = zone.fullDate(iso);
  const ago = document.createElement("span");
  ago.className = "rel";
  ago.dataset.ts = iso;
  ago.textContent = relative(iso);
  time.append(full, " ", ago);
  return time;
}

/** Bring every "… ago" on the page up to date. */
export function refreshRelativeTimes() {
  for (const span of document.querySelectorAll(".rel[data-ts]")) span.textContent = relative(span.dataset.ts);
}

/** Return a duration in seconds as ms, s, min or h; "—" for none. */
export function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  if (value < 7200) return `${(value / 60).toFixed(1)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}
