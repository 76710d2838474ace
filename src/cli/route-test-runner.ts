import type { RouteTest } from '../manifest/route-tests.js';
import type { Backend, RouteTable } from '../model/types.js';
import { applyHeaderEdits } from '../proxy/headers.js';
import { explainRequest } from '../routing/match.js';
import type { Explanation } from '../routing/types.js';
import { formatBackend } from './describe.js';
import { parseRequestTarget } from './request.js';

export interface RouteTestResult {
  readonly test: RouteTest;
  readonly passed: boolean;
  /** One line per expectation that failed: "backend: expected web:80, got api:80". */
  readonly failures: readonly string[];
  readonly result: Explanation | null;
}

/** Run route tests against a compiled table: offline, pure apart from the parsing of targets. */
export function runRouteTests(table: RouteTable, tests: readonly RouteTest[]): RouteTestResult[] {
  return tests.map((test) => runOne(table, test));
}

function runOne(table: RouteTable, test: RouteTest): RouteTestResult {
  let request;
  try {
    request = parseRequestTarget(test.url, Object.entries(test.headers).map(([k, v]) => `${k}: ${v}`), test.method);
  } catch (e) {
    return { test, passed: false, failures: [`request: ${(e as Error).message}`], result: null };
  }
  const result = explainRequest(table, { ...request, ...(test.clientIp === null ? {} : { clientAddress: test.clientIp }) });
  const failures: string[] = [];
  const x = test.expect;
  if (x.status !== undefined && x.status !== result.status) failures.push(`status: expected ${x.status}, got ${result.status}`);
  const gw = result.gateway;
  const gatewayId = gw?.entry === null || gw?.entry === undefined ? null : `${gw.entry.rule.id}.m${gw.entry.match.index}`;
  if (x.route !== undefined) {
    // A Gateway API match is named `httproute:NS/NAME#rRULE.mMATCH`; `httproute:NS/NAME#rRULE` names its rule.
    const got = gatewayId ?? result.route?.id ?? result.defaultBackend?.id ?? null;
    const ruleNamed = gatewayId !== null && x.route === gw?.entry?.rule.id;
    if (got !== x.route && !ruleNamed) failures.push(`route: expected ${x.route ?? 'none'}, got ${got ?? 'none'}`);
  }
  if (x.upstreamPath !== undefined && x.upstreamPath !== result.upstreamPath) {
    failures.push(`upstreamPath: expected ${x.upstreamPath ?? 'none'}, got ${result.upstreamPath ?? 'none'}`);
  }
  if (x.location !== undefined) {
    const got = result.redirect?.location ?? null;
    if (got !== x.location) failures.push(`location: expected ${x.location ?? 'no redirect'}, got ${got ?? 'no redirect'}`);
  }
  if (x.upstreamHeaders !== undefined) {
    // The Gateway API's RequestHeaderModifier acts on the request's own headers.
    const edited = gw?.outcome.kind === 'forward' ? applyHeaderEdits(Object.entries(test.headers).flat(), gw.outcome.requestEdits) : [];
    const sent = new Map<string, string>([...pairsOf(edited), ...(result.upstreamHeaders ?? [])].map(([k, v]) => [k.toLowerCase(), v]));
    sent.set('host', result.upstreamHost ?? request.host ?? '');
    for (const [name, want] of Object.entries(x.upstreamHeaders)) {
      const got = sent.get(name);
      if (got !== want) failures.push(`upstreamHeaders.${name}: expected ${want}, got ${got ?? 'none'}`);
    }
  }
  if (x.responseHeaders !== undefined) {
    // What ingress-nginx writes on the response itself: its own answer's headers, or those it adds to the backend's.
    const gatewayEdits = gw !== undefined && (gw.outcome.kind === 'forward' || gw.outcome.kind === 'redirect') ? applyHeaderEdits([], gw.outcome.responseEdits) : [];
    const sent = new Map<string, string>([...(result.reply?.headers ?? []), ...(result.responseHeaders ?? []), ...pairsOf(gatewayEdits)].map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, want] of Object.entries(x.responseHeaders)) {
      const got = sent.get(name) ?? null;
      if (got !== want) failures.push(`responseHeaders.${name}: expected ${want ?? 'none'}, got ${got ?? 'none'}`);
    }
  }
  if (x.backend !== undefined) {
    const b = result.backend;
    if (x.backend === 'none') {
      if (b !== null) failures.push(`backend: expected none, got ${formatBackend(b)}`);
    } else {
      const expected = x.backend;
      const same = (c: Backend | null): boolean => c !== null && c.kind === 'service' && c.service === expected.service &&
        (expected.namespace === null || expected.namespace === c.namespace) &&
        (expected.port === null || expected.port === String(c.port) || expected.port === c.portName);
      // A weighted Gateway API rule may send the request to any backendRef with weight: each of them passes.
      const weighted = gw?.entry?.rule.backendRefs.filter((r) => r.weight > 0 && r.backend !== null) ?? [];
      const ok = same(b) || (weighted.length > 1 && weighted.some((r) => same(r.backend)));
      if (!ok) {
        const want = `${x.backend.namespace !== null ? `${x.backend.namespace}/` : ''}${x.backend.service}${x.backend.port !== null ? `:${x.backend.port}` : ''}`;
        failures.push(`backend: expected ${want}, got ${b === null ? 'none' : formatBackend(b)}`);
      }
    }
  }
  return { test, passed: failures.length === 0, failures, result };
}

/** A flat header list (`[name, value, …]`) as pairs. */
function pairsOf(flat: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as string]);
  return pairs;
}
