import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { RequestCompleted } from '../events/types.js';
import { parseRouteTests } from '../manifest/route-tests.js';
import { formatBackend } from '../model/format.js';
import type { RouteTable } from '../model/types.js';
import { headersRoutingReads } from '../routing/compare.js';
import { normalizeHost } from '../routing/host.js';
import { matchWithAlias } from '../routing/match.js';

/**
 * `up --record FILE`: every request the proxy routes becomes a route test, with what the routing
 * did with it as the expectation (the route's outcome, not the backend's answer: a backend's 500
 * is not a routing fact). Deduplicated by method, URL and the headers routing looks at; appended
 * to what the file already holds, so that runs add up to a regression suite from real use. The
 * file is rewritten whole (written aside, then renamed) a moment after each new request, so it
 * is whole whenever it is read, also after a kill.
 */
export interface Recorder {
  record(e: RequestCompleted, table: RouteTable): void;
  /** How many tests the file holds. */
  count(): number;
  /** Write what is pending now. */
  flush(): void;
}

interface Entry {
  readonly name: string;
  readonly request: { readonly url: string; readonly method?: string; readonly headers?: Record<string, string> } | string;
  readonly expect: Record<string, unknown>;
}

export function createRecorder(file: string, now: () => Date = () => new Date()): Recorder {
  const entries: Entry[] = [];
  const keys = new Set<string>();
  // What the file holds already (a test file, or nothing): new requests are added to it.
  let existing = '';
  try {
    existing = readFileSync(file, 'utf8');
  } catch {
    // a new file
  }
  if (existing !== '') {
    const parsed = parseRouteTests(existing, file);
    if (parsed.diagnostics.length > 0) throw new Error(`${file} is not a route test file (${parsed.diagnostics[0]?.message ?? ''}); give --record a new file`);
    for (const t of parsed.tests) {
      const headers = Object.keys(t.headers).length === 0 ? undefined : { ...t.headers };
      keys.add(keyOf(t.method, t.url, headers ?? {}));
      entries.push({ name: t.name, request: t.method === 'GET' && headers === undefined ? t.url : { url: t.url, ...(t.method === 'GET' ? {} : { method: t.method }), ...(headers === undefined ? {} : { headers }) }, expect: expectationJson(t.expect) });
    }
  }
  let timer: NodeJS.Timeout | null = null;
  const write = (): void => {
    timer = null;
    const text = `# Route tests recorded by ingress-dev up --record (last written ${now().toISOString()}).\n# Each expectation is what the routing did; run them with: ingress-dev test --tests ${path.basename(file)}\n${stringify({ tests: entries }, { lineWidth: 0 })}`;
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, text);
    renameSync(aside, file);
  };
  return {
    record(e, table) {
      if (e.upgrade) return;
      const received = normalizeHost(e.host);
      const watched = headersRoutingReads(table);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(e.requestHeaders)) {
        if (value !== undefined && watched.has(name.toLowerCase())) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      // The routing's outcome, with the table that served the request; a `.localhost` alias is
      // recorded as the host it stands for, as the proxy routed it.
      const { match: m, alias } = matchWithAlias(table, { host: received, path: e.path, method: e.method, headers, scheme: e.scheme ?? 'http', port: e.scheme === 'https' ? 443 : 80, random: () => 0 });
      const host = alias ?? (isAddress(received) ? null : received);
      const url = host === null ? e.path : `${e.scheme ?? 'http'}://${host}${e.path}`;
      const key = keyOf(e.method, url, headers);
      if (keys.has(key)) return;
      keys.add(key);
      const expect: Record<string, unknown> = { status: m.status };
      if (m.redirect !== null) expect.location = m.redirect.location;
      else if (m.backend?.kind === 'service' && m.status < 300) expect.backend = formatBackend(m.backend, false);
      else if (m.backend === null) expect.backend = 'none';
      if (m.upstreamPath !== null && m.status < 300) expect.upstreamPath = m.upstreamPath;
      const hasHeaders = Object.keys(headers).length > 0;
      entries.push({ name: `${e.method} ${url}${hasHeaders ? ` (${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`, request: e.method === 'GET' && !hasHeaders ? url : { url, ...(e.method === 'GET' ? {} : { method: e.method }), ...(hasHeaders ? { headers } : {}) }, expect });
      timer ??= setTimeout(write, 200);
      timer.unref();
    },
    count: () => entries.length,
    flush() {
      if (timer === null) return;
      clearTimeout(timer);
      write();
    },
  };
}

function keyOf(method: string, url: string, headers: Readonly<Record<string, string>>): string {
  return `${method} ${url} ${JSON.stringify(Object.entries(headers).toSorted())}`;
}

/** A request to an address (`127.0.0.1`, `[::1]`, `localhost`) names no host a rule could. */
function isAddress(host: string): boolean {
  return host === '' || host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':');
}

function expectationJson(x: ReturnType<typeof parseRouteTests>['tests'][number]['expect']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (x.status !== undefined) out.status = x.status;
  if (x.location !== undefined) out.location = x.location;
  if (x.backend !== undefined) out.backend = x.backend === 'none' ? 'none' : `${x.backend.namespace === null ? '' : `${x.backend.namespace}/`}${x.backend.service}${x.backend.port === null ? '' : `:${x.backend.port}`}`;
  if (x.upstreamPath !== undefined) out.upstreamPath = x.upstreamPath;
  if (x.route !== undefined) out.route = x.route;
  if (x.upstreamHeaders !== undefined) out.upstreamHeaders = x.upstreamHeaders;
  if (x.responseHeaders !== undefined) out.responseHeaders = x.responseHeaders;
  return out;
}
