import type { Line } from './lines.js';
import { line } from './lines.js';
import type { RequestEntry } from './request-store.js';
import { compactTarget } from './routes-view.js';
import { fit, formatClock, formatDuration, pathOf, statusClass, statusColor, truncateId } from './text.js';

export interface RequestColumns {
  readonly hostPath: number;
  readonly route: number;
  /** 0 when the terminal is too narrow: the target is in the detail. */
  readonly target: number;
}

const timeW = 8;
const methodW = 7;
const statusW = 3;
const durationW = 5;

/**
 * Column widths for a terminal width, shared by content: host+path and the route each get what
 * their longest value needs when both fit (host+path takes what is left over); when they do not,
 * the one that needs less than half gets what it needs and the other the rest, and when both
 * need more, they get half each.
 */
export function requestColumns(width: number, longest: { readonly route: number; readonly target: number; readonly hostPath: number }): RequestColumns {
  const fixed = 2 + timeW + 1 + methodW + 1 + statusW + 1 + durationW + 1;
  const flex = Math.max(20, width - fixed);
  const target = width >= 96 ? Math.min(Math.max('TARGET'.length, longest.target), Math.floor(flex * 0.22)) : 0;
  const rest = flex - (target > 0 ? target + 1 : 0) - 1;
  const needRoute = Math.max('no route'.length, longest.route);
  const needHostPath = Math.max('HOST+PATH'.length, longest.hostPath);
  const half = Math.floor(rest / 2);
  const route =
    needRoute + needHostPath <= rest || needRoute <= half ? needRoute : needHostPath <= rest - half ? rest - needHostPath : half;
  return { hostPath: rest - route, route, target };
}

/** The widths for these requests. */
export function columnsFor(entries: readonly RequestEntry[], width: number): RequestColumns {
  const longest = { route: 0, target: 0, hostPath: 0 };
  for (const { event } of entries) {
    longest.route = Math.max(longest.route, [...(event.routeId ?? '')].length);
    longest.target = Math.max(longest.target, [...listTarget(event.target)].length);
    longest.hostPath = Math.max(longest.hostPath, [...`${event.host}${pathOf(event.path)}`].length);
  }
  return requestColumns(width, longest);
}

/** In the list, a target on this machine is its port (`:3000`); the detail has the whole address. */
export function listTarget(target: string | null): string {
  if (target === null) return '-';
  const local = /^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(target);
  return local === null ? compactTarget(target) : `:${local[1]}`;
}

export function requestHeading(c: RequestColumns): Line {
  const text =
    `  ${fit('TIME', timeW)} ${fit('METHOD', methodW)} ${fit('HOST+PATH', c.hostPath)} ${'ST'.padEnd(statusW)} ${fit('TOOK', durationW, 'right')} ` +
    `${fit('ROUTE', c.route)}${c.target > 0 ? ` ${fit('TARGET', c.target)}` : ''}`;
  return line(text, { dim: true });
}

/** One request as a row; the selected one is marked with `›` and shown inverse. */
export function requestLine(entry: RequestEntry, c: RequestColumns, selected: boolean): Line {
  const e = entry.event;
  const inverse = selected;
  const route = e.routeId ?? 'no route';
  return {
    segments: [
      { text: selected ? '› ' : '  ', bold: true, inverse },
      { text: `${fit(formatClock(e.startedAt), timeW)} ${fit(e.method, methodW)} ${fit(`${e.host}${pathOf(e.path)}`, c.hostPath)} `, inverse },
      { text: fit(String(e.status), statusW), color: statusColor[statusClass(e.status)], inverse },
      { text: ` ${fit(formatDuration(e.durationMs), durationW, 'right')} `, inverse },
      { text: fit(truncateId(route, c.route), c.route), dim: e.routeId === null && !selected, inverse },
      ...(c.target > 0 ? [{ text: ` ${fit(listTarget(e.target), c.target)}`, inverse }] : []),
    ],
  };
}

/**
 * The first request shown in `rows`: the newest fill the bottom when nothing is selected;
 * otherwise the window moves only as far as needed to keep the selection in view, so it
 * stays still while new requests arrive.
 */
export function windowStart(count: number, selectedIndex: number | null, rows: number, previousStart: number): number {
  const tailStart = Math.max(0, count - rows);
  if (selectedIndex === null) return tailStart;
  const start = Math.min(Math.max(previousStart, selectedIndex - rows + 1), selectedIndex);
  return Math.max(0, Math.min(start, tailStart));
}
