import { formatBackend } from '../model/format.js';
import { hostLists } from '../model/gateway/format.js';
import type { HeaderEdits } from '../model/gateway/types.js';
import type { Backend, NginxLocation, RouteTable } from '../model/types.js';
import { allHostRoutes, selectHostRoutes } from './host.js';
import { matchRequest } from './match.js';
import type { Match, MatchRequest } from './types.js';

/**
 * `ingress-dev diff`: the requests at which two route tables can disagree, each routed offline on
 * both, and the differences grouped by their cause. Pure: tables in, differences out.
 */

/** Why a request was generated: the boundary it probes. */
export type ProbeKind =
  | 'path' | 'trailing-slash' | 'deeper' | 'sibling' | 'case' | 'slashes' | 'dots'
  | 'regex-sample' | 'regex-near' | 'header' | 'query' | 'method' | 'https' | 'wildcard' | 'other-host' | 'test';

export interface Probe {
  readonly kind: ProbeKind;
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** null: no Host header a rule names (a request to the address). */
  readonly host: string | null;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A route test's name, for `--tests` requests. */
  readonly name?: string;
}

/** What a side does with a request, in the terms a migration cares about. */
export interface Outcome {
  readonly status: number;
  readonly location: string | null;
  /** `shop/api:80`, after `--map-service`; null when nothing is forwarded. */
  readonly backend: string | null;
  readonly upstreamPath: string | null;
  readonly upstreamHost: string | null;
  /** Headers the routing adds for the backend or on the response, `name: value`, sorted. */
  readonly headers: readonly string[];
  /** The rule that decided, and where it is written. */
  readonly rule: { readonly id: string; readonly file: string; readonly line: number } | null;
  /** ingress-nginx matched the host's paths as case-insensitive regexes anchored at the start, and why. */
  readonly regexHost: string | null;
  /** The redirect's maker: `trailing slash`, `RequestRedirect`, `ssl-redirect`, … */
  readonly redirectBy: string | null;
  readonly profile: string;
}

export interface Difference {
  readonly probe: Probe;
  readonly old: Outcome;
  readonly new: Outcome;
  /** What differs: status, location, backend, upstreamPath, upstreamHost, headers. */
  readonly fields: readonly string[];
  readonly cause: string;
}

export interface DiffGroup {
  readonly cause: string;
  /** Every request of the group, in generation order. */
  readonly probes: readonly Probe[];
  /** The first request of the group (generation order: the simplest first). */
  readonly example: Difference;
}

// ---------------------------------------------------------------------------------------------
// The requests

/** Every request that probes where the tables' rules begin and end, deterministic and without duplicates. */
export function probeRequests(tables: readonly RouteTable[], extra: readonly Probe[] = []): Probe[] {
  const out = new Map<string, Probe>();
  const add = (p: Probe): void => {
    const key = `${p.method} ${p.scheme}://${p.host ?? ''}${p.path} ${JSON.stringify(p.headers)}`;
    if (!out.has(key)) out.set(key, p);
  };
  const plain = (kind: ProbeKind, host: string | null, path: string, more: Partial<Probe> = {}): Probe => ({ kind, method: 'GET', scheme: 'http', host, path, headers: {}, ...more });
  for (const table of tables) {
    for (const hr of allHostRoutes(table)) {
      for (const host of sampleHosts(hr.host)) {
        const kindOfHost: ProbeKind = hr.host?.startsWith('*.') === true && host.split('.').length > hr.host.split('.').length ? 'wildcard' : 'path';
        for (const r of hr.routes) {
          const regex = hr.nginx?.regex === true || r.pathType === 'ImplementationSpecific' && /[\\^$.*+?()[\]{}|]/.test(r.path);
          for (const p of pathProbes(r.path, regex)) add(plain(p.kind === 'path' ? kindOfHost : p.kind, host, p.path));
          add(plain('https', host, r.path, { scheme: 'https' }));
        }
      }
    }
    if (table.defaultBackend !== null) add(plain('other-host', 'no-rule-names-this.example', '/'));
    const gateway = table.gateway;
    if (gateway !== null && gateway !== undefined) {
      for (const { scheme, hostname, entries } of hostLists(gateway)) {
        for (const host of sampleHosts(hostname)) {
          for (const e of entries) {
            const m = e.match;
            const regex = m.path.type === 'RegularExpression';
            const headers = Object.fromEntries(m.headers.map((h) => [h.name, h.type === 'Exact' ? h.value : sampleOfRegex(h.value) ?? h.value]));
            const query = m.queryParams.map((q) => `${q.name}=${encodeURIComponent(q.type === 'Exact' ? q.value : sampleOfRegex(q.value) ?? q.value)}`).join('&');
            for (const p of pathProbes(m.path.value, regex)) {
              add(plain(p.kind, host, p.path, { scheme }));
              if (m.headers.length > 0) add(plain('header', host, p.path, { scheme, headers }));
              if (query !== '') add(plain('query', host, `${p.path}?${query}`, { scheme }));
              if (m.method !== null) add(plain('method', host, p.path, { scheme, method: m.method }));
            }
          }
        }
      }
    }
    // ingress-nginx canaries: the header and cookie that pick the canary.
    for (const hr of allHostRoutes(table)) {
      for (const host of sampleHosts(hr.host)) {
        for (const l of hr.nginx?.locations ?? []) {
          const path = l.route?.path ?? l.ingressPath;
          for (const c of canaryProbes(l)) add(plain('header', host, path.startsWith('/') ? path : '/', { headers: c }));
        }
      }
    }
  }
  for (const p of extra) add(p);
  return [...out.values()];
}

/** A host of a rule: itself; one label and two labels under a wildcard (Ingress: one only; Gateway API: one or more); no host: one no rule names. */
function sampleHosts(host: string | null): string[] {
  if (host === null) return ['no-rule-names-this.example'];
  if (host.startsWith('*.')) return [`a${host.slice(1)}`, `a.b${host.slice(1)}`];
  return [host];
}

/** The boundaries of a path: itself, the trailing slash either way, one element deeper, a sibling sharing its string prefix, other letter case, `//` and `..` forms; for a regex, a sample and near misses. */
function pathProbes(path: string, regex: boolean): { kind: ProbeKind; path: string }[] {
  const out: { kind: ProbeKind; path: string }[] = [];
  const base = regex ? sampleOfRegex(path) : path;
  if (base === null || !base.startsWith('/')) return out;
  out.push({ kind: regex ? 'regex-sample' : 'path', path: base });
  const trimmed = base.length > 1 && base.endsWith('/') ? base.slice(0, -1) : base;
  out.push({ kind: 'trailing-slash', path: base.endsWith('/') ? trimmed : `${base}/` });
  out.push({ kind: 'deeper', path: `${trimmed === '/' ? '' : trimmed}/x` });
  if (trimmed !== '/') out.push({ kind: 'sibling', path: `${trimmed}bar` });
  const swapped = swapCase(base);
  if (swapped !== base) out.push({ kind: 'case', path: swapped });
  out.push({ kind: 'slashes', path: `/${base}` });
  out.push({ kind: 'dots', path: `/x/..${base}` });
  if (regex) out.push({ kind: 'regex-near', path: `${base}x` });
  return out;
}

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

/**
 * A string a simple regular expression matches, from its start: literals, `.`, classes
 * (`[A-Z]`, `\d`, `\w`), counts (`{3}`, `+`, `*`, `?`) and groups (the first alternative).
 * null when the pattern is beyond that (lookarounds, backreferences).
 */
export function sampleOfRegex(source: string): string | null {
  let i = source.startsWith('^') ? 1 : 0;
  if (source.startsWith('(?i)')) i = 4;
  const atom = (): string | null => {
    const c = source[i];
    if (c === undefined) return null;
    if (c === '\\') {
      const n = source[i + 1];
      i += 2;
      if (n === 'd') return '1';
      if (n === 'w') return 'a';
      if (n === 's') return ' ';
      return n ?? '';
    }
    if (c === '[') {
      const end = source.indexOf(']', i + 1);
      if (end === -1) return null;
      const body = source.slice(i + 1, end);
      i = end + 1;
      if (body.startsWith('^')) return 'z';
      return body.startsWith('\\') ? (body[1] === 'd' ? '1' : 'a') : (body[0] ?? 'a');
    }
    if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < source.length; j++) {
        if (source[j] === '\\') j++;
        else if (source[j] === '(') depth++;
        else if (source[j] === ')' && --depth === 0) break;
      }
      let inner = source.slice(i + 1, j);
      i = j + 1;
      if (inner.startsWith('?:')) inner = inner.slice(2);
      if (inner.startsWith('?')) return null;
      // The first alternative at the top level.
      let level = 0;
      let cut = inner.length;
      for (let k = 0; k < inner.length; k++) {
        if (inner[k] === '\\') k++;
        else if (inner[k] === '(') level++;
        else if (inner[k] === ')') level--;
        else if (inner[k] === '|' && level === 0) {
          cut = k;
          break;
        }
      }
      return sampleOfRegex(inner.slice(0, cut));
    }
    if (c === '.') {
      i++;
      return 'a';
    }
    if (c === '$') {
      i++;
      return '';
    }
    if (c === '|') {
      i = source.length;
      return '';
    }
    i++;
    return c;
  };
  let out = '';
  while (i < source.length) {
    const a = atom();
    if (a === null) return null;
    const q = source[i];
    if (q === '{') {
      const end = source.indexOf('}', i);
      const n = Number.parseInt(source.slice(i + 1, end), 10);
      i = end + 1;
      out += a.repeat(Number.isNaN(n) ? 1 : n);
    } else if (q === '*' || q === '?') {
      i++;
    } else if (q === '+') {
      i++;
      out += a;
    } else out += a;
    if (source[i] === '?') i++; // lazy
  }
  return out;
}

/** The header and cookie that send a request to a location's canary (canary-by-header, -by-cookie). */
function canaryProbes(l: NginxLocation): Record<string, string>[] {
  const policy = l.canary?.policy;
  if (policy === undefined) return [];
  const out: Record<string, string>[] = [];
  if (policy.header !== '') out.push({ [policy.header]: policy.headerValue !== '' ? policy.headerValue : 'always' });
  if (policy.cookie !== '') out.push({ cookie: `${policy.cookie}=always` });
  return out;
}

const headersRead = new WeakMap<RouteTable, ReadonlySet<string>>();

/**
 * The request headers the table's routing reads (lower case): Gateway API header matches,
 * ingress-nginx canary headers, and `cookie` for a canary cookie. Computed once per table.
 */
export function headersRoutingReads(table: RouteTable): ReadonlySet<string> {
  const known = headersRead.get(table);
  if (known !== undefined) return known;
  const names = new Set<string>();
  if (table.gateway !== null && table.gateway !== undefined) {
    for (const { entries } of hostLists(table.gateway)) for (const e of entries) for (const h of e.match.headers) names.add(h.name.toLowerCase());
  }
  for (const hr of allHostRoutes(table)) {
    for (const l of hr.nginx?.locations ?? []) for (const c of canaryProbes(l)) for (const name of Object.keys(c)) names.add(name.toLowerCase());
  }
  headersRead.set(table, names);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Routing a request on each side

export function outcomeOf(table: RouteTable, probe: Probe, rename: ReadonlyMap<string, string> = new Map()): Outcome {
  const request: MatchRequest = {
    host: probe.host ?? '',
    path: probe.path,
    method: probe.method,
    headers: Object.fromEntries(Object.entries(probe.headers).map(([k, v]) => [k.toLowerCase(), v])),
    scheme: probe.scheme,
    port: probe.scheme === 'https' ? 443 : 80,
    // The heaviest backend of a weighted rule, on both sides alike.
    random: () => 0,
  };
  const m: Match = matchRequest(table, request);
  const gw = m.gateway;
  const forward = gw?.outcome.kind === 'forward' ? gw.outcome : null;
  const headers = [
    ...(m.upstreamHeaders ?? []).map(([k, v]) => `> ${k.toLowerCase()}: ${v}`),
    ...(m.responseHeaders ?? []).map(([k, v]) => `< ${k.toLowerCase()}: ${v}`),
    ...(forward === null ? [] : editLines('>', forward.requestEdits)),
    ...(forward === null ? [] : editLines('<', forward.responseEdits)),
  ].toSorted();
  const entry = gw?.entry ?? null;
  const rule = entry !== null
    ? { id: `${entry.rule.id}.m${entry.match.index}`, file: entry.match.source.file, line: entry.match.source.line }
    : m.route !== null ? { id: m.route.id, file: m.route.source.file, line: m.route.source.line }
      : m.defaultBackend !== null ? { id: m.defaultBackend.id, file: m.defaultBackend.source.file, line: m.defaultBackend.source.line } : null;
  const server = m.profile === 'nginx' ? (selectHostRoutes(table, m.host)?.nginx ?? null) : null;
  return {
    status: m.status,
    location: m.redirect?.location ?? null,
    backend: m.status >= 300 && m.status < 400 ? null : backendName(m.backend, rename),
    upstreamPath: m.upstreamPath,
    upstreamHost: m.upstreamHost ?? null,
    headers,
    rule,
    regexHost: server?.regex === true ? (server.regexBecause ?? 'an annotation') : null,
    redirectBy: m.redirect?.by ?? null,
    profile: m.profile,
  };
}

/** A Gateway API filter's header edits as `> name: value` lines (`>` to the backend, `<` to the client). */
function editLines(way: '>' | '<', edits: readonly HeaderEdits[]): string[] {
  return edits.flatMap((e) => [...e.set.map(([k, v]) => `${way} ${k.toLowerCase()}: ${v}`), ...e.add.map(([k, v]) => `${way} ${k.toLowerCase()}: +${v}`), ...e.remove.map((k) => `${way} ${k}: (removed)`)]);
}

function backendName(b: Backend | null, rename: ReadonlyMap<string, string>): string | null {
  if (b === null) return null;
  if (b.kind !== 'service') return formatBackend(b);
  const name = `${b.namespace}/${b.service}`;
  return `${rename.get(name) ?? name}:${b.port ?? b.portName ?? '?'}`;
}

// ---------------------------------------------------------------------------------------------
// Comparing and grouping

const compared = ['status', 'location', 'backend', 'upstreamPath', 'upstreamHost', 'headers'] as const;

export function compareTables(oldTable: RouteTable, newTable: RouteTable, probes: readonly Probe[], rename: ReadonlyMap<string, string> = new Map()): Difference[] {
  const out: Difference[] = [];
  for (const probe of probes) {
    const a = outcomeOf(oldTable, probe, rename);
    const b = outcomeOf(newTable, probe);
    const fields = compared.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
    if (fields.length === 0) continue;
    out.push({ probe, old: a, new: b, fields, cause: causeOf(probe, a, b, fields) });
  }
  return out;
}

/** The likely reason for a difference, in words, from the request's kind and the two outcomes. */
function causeOf(probe: Probe, a: Outcome, b: Outcome, fields: readonly string[]): string {
  const host = probe.host ?? '(no host)';
  const routed = (o: Outcome) => o.status < 300 || o.status === 401 || o.status === 403;
  // A rule took it (routed, or redirected), as opposed to nothing (404).
  const taken = (o: Outcome) => o.status !== 404;
  // URL normalization (section 5): ingress-nginx matches the URI with slashes merged and dot
  // segments resolved, and forwards it as sent; Envoy-based Gateways resolve dot segments (also
  // in what they forward) and do not merge slashes.
  if (probe.kind === 'slashes' || probe.kind === 'dots') {
    const what = probe.kind === 'slashes' ? 'a path with doubled slashes (//path)' : 'a path with dot segments (/x/../path)';
    const how = probe.kind === 'slashes' ? 'ingress-nginx merges slashes before matching; Envoy-based Gateways do not' : 'they are resolved before matching';
    if (taken(a) !== taken(b)) return `${what} is routed in ${taken(a) ? 'OLD' : 'NEW'} only (${how})`;
    if (fields.includes('backend')) return `${what} reaches another backend (${how})`;
    if (fields.includes('upstreamPath')) return `${what} is forwarded as sent in ${a.upstreamPath === probe.path ? 'OLD' : 'NEW'}, ${a.upstreamPath === probe.path ? 'resolved in NEW' : 'resolved in OLD'}`;
    return `${what} is answered differently (${how})`;
  }
  // ingress-nginx's trailing-slash redirect (the blog's section 4).
  if (a.redirectBy === 'trailing slash' && b.redirectBy !== 'trailing slash') return `trailing-slash 301 in OLD only (ingress-nginx redirects ${probe.path} to the path with a slash; on ${host})`;
  if (b.redirectBy === 'trailing slash' && a.redirectBy !== 'trailing slash') return `trailing-slash 301 in NEW only (on ${host})`;
  // Regex semantics (sections 1 to 3): case-insensitive, anchored at the start only.
  for (const [side, o, other] of [['OLD', a, b], ['NEW', b, a]] as const) {
    if (o.regexHost === null || !routed(o) || (routed(other) && other.backend === o.backend)) continue;
    const why = o.regexHost;
    if (probe.kind === 'case') return `paths of ${host} match in any letter case in ${side} only (ingress-nginx regex: ${why})`;
    if (probe.kind === 'deeper' || probe.kind === 'sibling' || probe.kind === 'regex-near' || probe.kind === 'trailing-slash') return `paths of ${host} match as a prefix of the path in ${side} only (ingress-nginx regex: ${why})`;
    return `paths of ${host} are regular expressions in ${side} only (${why})`;
  }
  if (probe.kind === 'wildcard' && routed(a) !== routed(b)) return `a wildcard host matches two labels in ${routed(a) ? 'OLD' : 'NEW'} only (Gateway API wildcards match one or more labels, Ingress wildcards one)`;
  if (probe.kind === 'case' && routed(a) !== routed(b)) return `paths of ${host} match in another letter case in ${routed(a) ? 'OLD' : 'NEW'} only`;
  if (probe.kind === 'https' && fields.includes('status')) return `https:// on ${host}: ${a.status}${a.location === null ? '' : ' (redirect)'} in OLD, ${b.status}${b.location === null ? '' : ' (redirect)'} in NEW`;
  if (fields.includes('status')) {
    if (!routed(a) && routed(b)) return `requests to ${host} that OLD answers ${a.status} are routed by NEW`;
    if (routed(a) && !routed(b)) return `requests to ${host} that OLD routes get ${b.status} from NEW`;
    return `status on ${host}: ${a.status} in OLD, ${b.status} in NEW`;
  }
  if (fields.includes('backend')) return `another backend on ${host}: ${a.backend ?? 'none'} in OLD, ${b.backend ?? 'none'} in NEW`;
  if (fields.includes('location')) return `another redirect Location on ${host}`;
  if (fields.includes('upstreamPath')) return `another path sent upstream on ${host} (a rewrite differs)`;
  if (fields.includes('upstreamHost')) return `another Host sent upstream on ${host}`;
  return `other headers on ${host} (${a.headers.filter((h) => !b.headers.includes(h)).concat(b.headers.filter((h) => !a.headers.includes(h))).slice(0, 3).join('; ')})`;
}

/** Differences by cause, in the order their first request came; each with its requests and first example. */
export function groupDifferences(diffs: readonly Difference[]): DiffGroup[] {
  const groups = new Map<string, { example: Difference; probes: Probe[] }>();
  for (const d of diffs) {
    const g = groups.get(d.cause);
    if (g === undefined) groups.set(d.cause, { example: d, probes: [d.probe] });
    else g.probes.push(d.probe);
  }
  return [...groups].map(([cause, g]) => ({ cause, probes: g.probes, example: g.example }));
}
