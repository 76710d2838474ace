import { expect } from 'vitest';
import type { EchoReply } from '../src/backends/echo.js';
import type { RouteTest } from '../src/manifest/route-tests.js';
import type { RouteTable } from '../src/model/types.js';
import { runRouteTests } from '../src/cli/route-test-runner.js';


/**
 * For each route test, the Services a weighted Gateway API rule may pick per request (as
 * `ingress-dev test` allows offline); empty for every other test.
 */
export function weightedServicesOf(table: RouteTable, tests: readonly RouteTest[]): Map<RouteTest, Set<string>> {
  return new Map(runRouteTests(table, tests).map((r) => [r.test, new Set(
    (r.result?.gateway?.entry?.rule.backendRefs ?? []).filter((b) => b.weight > 0 && b.backend?.kind === 'service').map((b) => (b.backend as { service: string }).service),
  )]));
}

/** A live request's echo against what the route test expects of the upstream request. */
export function expectEchoAsTested(test: RouteTest, echo: EchoReply, weighted: ReadonlySet<string>, label: string): void {
  const x = test.expect;
  for (const [header, value] of Object.entries(x.upstreamHeaders ?? {})) expect(echo.headers[header.toLowerCase()], label).toBe(value);
  if (x.upstreamPath !== undefined && x.upstreamPath !== null) expect(echo.path, label).toBe(x.upstreamPath);
  // A route test may name a Gateway API rule (`#r1`) for any of its matches (`#r1.m0`).
  const route = echo.standsInFor.route;
  if (x.route !== undefined) expect([route, route?.replace(/\.m\d+$/, '') ?? null], label).toContain(x.route);
  const b = x.backend;
  if (b === undefined || b === 'none') return;
  if (weighted.size > 1) expect([...weighted], label).toContain(echo.standsInFor.service);
  else expect(echo.standsInFor.service, label).toBe(b.service);
  if (b.port !== null) expect([String(echo.standsInFor.port), echo.standsInFor.portName], label).toContain(b.port);
}
