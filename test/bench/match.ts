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

function build(paths: number, hosts: number): Subject {
  const project = generateProject(paths, hosts);
  const table = compileRoutes(parseManifests(project.files).resources, { profile: 'spec' }).value;
  return { name: `${formatNumber(paths)} paths / ${Math.min(paths, hosts)} hosts`, table, requests: project.requests };
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
  const small = build(10, 1_000);
  const large = build(10_000, 1_000);
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
  const results = new Map<string, number[]>([[small.name, []], [large.name, []]]);
  rate(small, 200, matchRequest); // warm up the JIT on both shapes
  rate(large, 200, matchRequest);
  for (let i = 0; i < rounds; i++) {
    for (const s of i % 2 === 0 ? [small, large] : [large, small]) results.get(s.name)?.push(rate(s, 300, matchRequest));
  }
  const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const smallRate = median(results.get(small.name) ?? []);
  const largeRate = median(results.get(large.name) ?? []);
  const explainSmall = rate(small, 300, explainRequest);
  const explainLarge = rate(large, 300, explainRequest);
  printTable(`matchRequest, realistic mix (60% exact-host hits, 20% wildcard hits, 20% misses), median of ${rounds} interleaved rounds`,
    ['table', 'routes', 'mix', 'matches/s', 'vs 10 paths'],
    [
      [small.name, String(small.table.routes.length), outcome(small), formatNumber(smallRate), '1.00x'],
      [large.name, String(large.table.routes.length), outcome(large), formatNumber(largeRate), `${(largeRate / smallRate).toFixed(2)}x`],
    ]);
  printTable('explainRequest (every route is a candidate: used by explain/test/UI, not per proxied request)',
    ['table', 'explains/s', 'vs 10 paths'],
    [
      [small.name, formatNumber(explainSmall), '1.00x'],
      [large.name, formatNumber(explainLarge), `${(explainLarge / explainSmall).toFixed(3)}x`],
    ]);
}
