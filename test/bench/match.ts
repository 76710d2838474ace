import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { explainRequest, matchRequest } from '../../src/routing/match.js';
import type { MatchRequest } from '../../src/routing/types.js';
import { formatNumber, printTable } from './measure.js';
import { generateProject } from './project.js';

interface Subject {
  readonly name: string;
  readonly table: RouteTable;
  readonly requests: readonly MatchRequest[];
}

function build(paths: number, hosts: number, requestHosts?: number, nginxRegex = false): Subject {
  const project = generateProject(paths, hosts, { ...(requestHosts === undefined ? {} : { requestHosts }), regex: nginxRegex });
  const table = compileRoutes(parseManifests(project.files).resources, { profile: nginxRegex ? 'nginx' : 'spec' }).value;
  const hostCount = Math.min(paths, hosts);
  const spread = requestHosts === undefined ? 'requests to all hosts' : `requests to ${requestHosts} exact + ${requestHosts} wildcard host`;
  const name = `${nginxRegex ? 'nginx, use-regex: ' : ''}${formatNumber(paths)} paths / ${formatNumber(hostCount)} hosts (${paths / hostCount} per host), ${spread}`;
  return { name, table, requests: project.requests };
}

/** Matches per second over a fixed request list, for about `ms` milliseconds. */
function rate(subject: Subject, ms: number, fn: (t: RouteTable, r: MatchRequest) => unknown): number {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  const reqs = subject.requests;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1_000; i++) {
      const r = fn(subject.table, reqs[(n + i) % reqs.length] as MatchRequest);
      if (r !== null) sink++;
    }
    n += 1_000;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) process.stdout.write(''); // keep the results alive
  return n / seconds;
}

/**
 * Matches per second on the 10,000-path table against the 10-path table, interleaved over
 * several rounds so that both see the same machine; the ratio should be close to 1.
 */
export function benchMatch(): void {
  // The 10-path table against the 10,000-path table. Then the same 10,000 paths at the small
  // table's 5 paths per host (a request scans one host's paths), with requests spread over
  // every host (many cache misses) and with requests to as many hosts as the small table has
  // (the same working set): the last ratio is the algorithmic cost of a bigger table.
  const small = build(10, 2);
  const large = build(10_000, 1_000);
  const wide = build(10_000, 2_000);
  const hot = build(10_000, 2_000, 1);
  const outcome = (s: Subject) => {
    const counts = { hit: 0, default: 0, miss: 0 };
    for (const r of s.requests) {
      const m = matchRequest(s.table, r);
      if (m.route !== null) counts.hit++;
      else if (m.defaultBackend !== null) counts.default++;
      else counts.miss++;
    }
    return `${Math.round((100 * counts.hit) / s.requests.length)}% hit`;
  };
  const rounds = 5;
  const subjects = [small, large, wide, hot];
  const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (const s of subjects) rate(s, 200, matchRequest); // warm up the JIT on every shape
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? subjects : subjects.toReversed();
    for (const s of order) results.get(s.name)?.push(rate(s, 300, matchRequest));
  }
  const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const smallRate = median(results.get(small.name) ?? []);
  const largeRate = median(results.get(large.name) ?? []);
  const wideRate = median(results.get(wide.name) ?? []);
  const hotRate = median(results.get(hot.name) ?? []);
  const explainSmall = rate(small, 300, explainRequest);
  const explainLarge = rate(large, 300, explainRequest);
  printTable(`matchRequest, realistic mix (60% exact-host hits, 20% wildcard hits, 20% misses), median of ${rounds} interleaved rounds`,
    ['table', 'routes', 'mix', 'matches/s', 'vs 10 paths'],
    [
      [small.name, String(small.table.routes.length), outcome(small), formatNumber(smallRate), '1.00x'],
      [large.name, String(large.table.routes.length), outcome(large), formatNumber(largeRate), `${(largeRate / smallRate).toFixed(2)}x`],
      [wide.name, String(wide.table.routes.length), outcome(wide), formatNumber(wideRate), `${(wideRate / smallRate).toFixed(2)}x`],
      [hot.name, String(hot.table.routes.length), outcome(hot), formatNumber(hotRate), `${(hotRate / smallRate).toFixed(2)}x`],
    ]);
  printTable('explainRequest (every route is a candidate: used by explain/test/UI, not per proxied request)',
    ['table', 'explains/s', 'vs 10 paths'],
    [
      [small.name, formatNumber(explainSmall), '1.00x'],
      [large.name, formatNumber(explainLarge), `${(explainLarge / explainSmall).toFixed(3)}x`],
    ]);

  benchNginxMatch(rounds, median);
  benchGatewayMatch(rounds, median);
}

/**
 * The Gateway API matcher (HTTPRoutes: a listener, then the host's route matches in precedence
 * order) against the Ingress matcher on the same hosts and paths, at 10 and 10,000 rules,
 * interleaved: the ratio is the cost of the Gateway API's path.
 */
function benchGatewayMatch(rounds: number, median: (xs: number[]) => number): void {
  const gateway = (paths: number, hosts: number): Subject => {
    const project = generateProject(paths, hosts, { gateway: true });
    const table = compileRoutes(parseManifests(project.files).resources, { profile: 'spec' }).value;
    return { name: `HTTPRoutes: ${formatNumber(paths)} rules / ${formatNumber(Math.min(paths, hosts))} hostnames`, table, requests: project.requests };
  };
  const pairs = [[build(10, 2), gateway(10, 2)], [build(10_000, 1_000), gateway(10_000, 1_000)]] as const;
  const subjects = pairs.flat();
  const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (const s of subjects) rate(s, 200, matchRequest);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? subjects : subjects.toReversed();
    for (const s of order) results.get(s.name)?.push(rate(s, 300, matchRequest));
  }
  const hits = (s: Subject) => `${Math.round((100 * s.requests.filter((r) => { const m = matchRequest(s.table, r); return m.status === 200; }).length) / s.requests.length)}% hit`;
  const ruleCount = (s: Subject) => String(s.table.routes.length + (s.table.gateway?.rules.length ?? 0));
  printTable(`matchRequest, Gateway API (HTTPRoutes) against Ingresses on the same hosts and paths, median of ${rounds} interleaved rounds`,
    ['table', 'rules', 'mix', 'matches/s', 'vs Ingress, same paths'],
    pairs.flatMap(([ingress, routes]) => {
      const ingressRate = median(results.get(ingress.name) ?? []);
      const gatewayRate = median(results.get(routes.name) ?? []);
      return [
        [ingress.name, ruleCount(ingress), hits(ingress), formatNumber(ingressRate), '1.00x'],
        [routes.name, ruleCount(routes), hits(routes), formatNumber(gatewayRate), `${(gatewayRate / ingressRate).toFixed(2)}x`],
      ];
    }));
}

/**
 * The nginx profile's matcher on regex hosts (use-regex on every Ingress: each request runs
 * the host's regex locations in order) against the spec profile's on the same paths, at 10
 * and 10,000 paths, interleaved: the ratio is the cost of ingress-nginx's regex locations.
 */
function benchNginxMatch(rounds: number, median: (xs: number[]) => number): void {
  const pairs = [
    [build(10, 2), build(10, 2, undefined, true)],
    [build(10_000, 1_000), build(10_000, 1_000, undefined, true)],
  ] as const;
  const subjects = pairs.flat();
  const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (const s of subjects) rate(s, 200, matchRequest);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? subjects : subjects.toReversed();
    for (const s of order) results.get(s.name)?.push(rate(s, 300, matchRequest));
  }
  printTable(`matchRequest, nginx profile with regex locations against the spec profile, median of ${rounds} interleaved rounds`,
    ['table', 'matches/s', 'vs spec, same paths'],
    pairs.flatMap(([spec, nginx]) => {
      const specRate = median(results.get(spec.name) ?? []);
      const nginxRate = median(results.get(nginx.name) ?? []);
      return [
        [spec.name, formatNumber(specRate), '1.00x'],
        [nginx.name, formatNumber(nginxRate), `${(nginxRate / specRate).toFixed(2)}x`],
      ];
    }));
}
