/** Text helpers for fixed-width terminal rows. Pure: no Ink, no React. */

// Control characters from a request (a path, a header) must never reach the terminal.
export function visible(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += ch === '\t' ? ' ' : code < 0x20 || (code >= 0x7f && code < 0xa0) ? '\uFFFD' : ch;
  }
  return out;
}

/** Cut to `width` characters with an ellipsis, without padding. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...visible(text)];
  if (chars.length <= width) return chars.join('');
  return width === 1 ? '…' : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Cut a route id in the middle, keeping its rule and path (`ingress:default/web…#r0.p1`):
 * ids of one Ingress differ only there.
 */
export function truncateId(id: string, width: number): string {
  const chars = [...visible(id)];
  if (chars.length <= width) return chars.join('');
  const hash = id.lastIndexOf('#');
  const tail = hash === -1 ? [] : chars.slice(hash);
  if (tail.length === 0 || tail.length > width / 2) return truncate(id, width);
  return `${chars.slice(0, width - tail.length - 1).join('')}…${tail.join('')}`;
}

/** Exactly `width` characters: truncated with an ellipsis, or padded with spaces. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - [...cut].length));
  return align === 'left' ? cut + pad : pad + cut;
}

/** `12:03:04` in local time. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `12:03:04.123` in local time. */
export function formatClockMs(epochMs: number): string {
  return `${formatClock(epochMs)}.${String(new Date(epochMs).getMilliseconds()).padStart(3, '0')}`;
}

/** `0.4ms`, `12ms`, `1.3s`. */
export function formatDuration(ms: number): string {
  if (ms < 0.95) return `${ms.toFixed(1)}ms`;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/** `512 B`, `1.5 kB`, `2.0 MB`. */
export function formatBytes(n: number): string {
  if (n < 1_000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

export type StatusClass = 'ok' | 'redirect' | 'client-error' | 'server-error';

export function statusClass(status: number): StatusClass {
  return status >= 500 ? 'server-error' : status >= 400 ? 'client-error' : status >= 300 ? 'redirect' : 'ok';
}

/** Ink colour names per status class, as in the plain log (green, cyan, yellow, red). */
export const statusColor: Readonly<Record<StatusClass, string>> = {
  ok: 'green',
  redirect: 'cyan',
  'client-error': 'yellow',
  'server-error': 'red',
};

/** The path of a request target: `http://app.example.com/get?x` (proxy form) → `/get?x`. */
export function pathOf(target: string): string {
  const scheme = /^https?:\/\/[^/?]*/i.exec(target);
  if (scheme === null) return target;
  const rest = target.slice(scheme[0].length);
  return rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
}

/** `1 route`, `2 routes`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
