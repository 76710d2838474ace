import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PathType } from '../model/types.js';
import { specMatchCases, type MatchCase, type RouteSpec } from './cases.js';
import { normalizeHost } from './host.js';
import { explainRequest, matchRequest } from './match.js';
import { buildTable } from './table-builder.test-util.js';
import type { Explanation, Match, MatchRequest } from './types.js';

/** The Match part of an Explanation, to check that both functions agree. */
function matchPart(explanation: Explanation): Match {
  const { candidates: _candidates, notes: _notes, ...match } = explanation;
  return match;
}

function expectCase(testCase: MatchCase, result: Match): void {
  expect({
    status: result.status,
    routeId: result.route?.id ?? null,
    upstreamPath: result.upstreamPath,
  }).toEqual({
    status: testCase.expect.status,
    routeId: testCase.expect.routeId,
    upstreamPath: testCase.expect.upstreamPath,
  });
  expect(result.defaultBackend?.id).toBe(testCase.expect.defaultBackendId);
  expect(result.backend).toBe(result.route?.backend ?? result.defaultBackend?.backend ?? null);
}

describe('spec case table', () => {
  it.each(specMatchCases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const table = buildTable(testCase.routes, testCase.defaultBackends);

    const match = matchRequest(table, testCase.request);
    expectCase(testCase, match);

    const explanation = explainRequest(table, testCase.request);
    expect(matchPart(explanation)).toEqual(match);

    // Every route but the winner, and every shadowed defaultBackend, is a candidate.
    const expectedLosers = [
      ...table.routes.filter((route) => route !== match.route).map((route) => route.id),
      ...table.shadowedDefaultBackends.map((shadowed) => shadowed.id),
    ];
    expect(explanation.candidates.map((candidate) => candidate.id).toSorted()).toEqual(expectedLosers.toSorted());
  });
});

describe('matchRequest', () => {
  const table = buildTable([
    { id: 'ingress:default/app#r0.p0', host: 'app.example.com', path: '/', pathType: 'Prefix', service: 'app', port: 80 },
    { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 },
    { id: 'ingress:default/catchall#r0.p0', host: null, path: '/api', pathType: 'Prefix', service: 'catchall', port: 80 },
  ]);

  it('reports the normalised host and how it matched', () => {
    expect(matchRequest(table, { host: 'App.Example.com.:8080', path: '/' })).toMatchObject({
      host: 'app.example.com',
      hostMatch: { kind: 'exact', host: 'app.example.com' },
    });
    expect(matchRequest(table, { host: 'shop.example.com', path: '/' }).hostMatch).toEqual({
      kind: 'wildcard',
      host: '*.example.com',
    });
    expect(matchRequest(table, { host: 'other.test', path: '/web' })).toMatchObject({
      status: 404,
      hostMatch: { kind: 'any', host: null },
    });
    expect(matchRequest(table, { host: null, path: '/api' })).toMatchObject({ host: '', hostMatch: { kind: 'any' } });
  });

  it('reports no host match when no group serves the host', () => {
    const hostsOnly = buildTable([
      { id: 'ingress:default/app#r0.p0', host: 'app.example.com', path: '/', pathType: 'Prefix', service: 'app', port: 80 },
    ]);
    expect(matchRequest(hostsOnly, { host: 'other.test', path: '/' }).hostMatch).toEqual({ kind: 'none', host: null });
  });

  it('returns the route objects of the table, not copies', () => {
    const match = matchRequest(table, { host: 'app.example.com', path: '/x' });
    expect(table.routes).toContain(match.route);
  });
});

/**
 * A naive reference matcher, written from the specification's words rather than for speed:
 * split paths into elements, filter the routes of the selected host group, sort the matches
 * (longest elements first, then Exact, then the longer path string, then the older).
 * The fast matcher must agree with it on every generated table and request.
 */
function referenceWinner(specs: readonly RouteSpec[], request: MatchRequest): string | null {
  const host = normalizeHost(request.host);
  const exactGroup = specs.filter((spec) => referenceRuleHost(spec) === host);
  const wildcardGroup = specs.filter((spec) => {
    const rule = referenceRuleHost(spec);
    if (rule === null || !rule.startsWith('*.')) return false;
    const suffix = rule.slice(1); // `.example.com`
    const label = host.slice(0, -suffix.length);
    return host.endsWith(suffix) && label.length > 0 && !label.includes('.');
  });
  const anyGroup = specs.filter((spec) => spec.host === null);
  const group = exactGroup.length > 0 ? exactGroup : wildcardGroup.length > 0 ? wildcardGroup : anyGroup;

  const path = request.path.split('?')[0] ?? '';
  const ranked = group
    .filter((spec) => referencePathMatches(spec, path))
    .map((spec) => ({ spec, age: spec.age ?? specs.indexOf(spec) }))
    .toSorted(
      (a, b) =>
        referenceLength(b.spec) - referenceLength(a.spec) ||
        Number(b.spec.pathType === 'Exact') - Number(a.spec.pathType === 'Exact') ||
        // API reference, PathTypePrefix: of /foo and /foo/, "the longest matching path (/foo/)
        // is given priority".
        b.spec.path.length - a.spec.path.length ||
        a.age - b.age,
    );
  return ranked[0]?.spec.id ?? null;
}

function referenceRuleHost(spec: RouteSpec): string | null {
  return spec.host?.toLowerCase() ?? null;
}

function referenceElements(path: string): string[] {
  const parts = path.split('/').slice(1);
  return parts.at(-1) === '' ? parts.slice(0, -1) : parts;
}

function referencePathMatches(spec: RouteSpec, path: string): boolean {
  if (spec.pathType === 'Exact') return spec.path === path;
  const ruleElements = referenceElements(spec.path);
  const requestElements = referenceElements(path);
  return ruleElements.length <= requestElements.length && ruleElements.every((e, i) => requestElements[i] === e);
}

function referenceLength(spec: RouteSpec): number {
  return spec.pathType !== 'Exact' && spec.path.endsWith('/') ? spec.path.length - 1 : spec.path.length;
}

describe('matchRequest agrees with a naive reference matcher', () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'A');
  const rulePath = fc
    .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean())
    .map(([segments, slash]) => `/${segments.join('/')}${slash && segments.length > 0 ? '/' : ''}`);
  const requestPath = fc
    .tuple(fc.array(fc.oneof(segment, fc.constant('')), { maxLength: 4 }), fc.boolean(), fc.constantFrom('', '?q=/a', '?'))
    .map(([segments, slash, query]) => `/${segments.join('/')}${slash ? '/' : ''}${query}`);
  const pathType = fc.constantFrom<PathType>('Exact', 'Prefix', 'ImplementationSpecific');
  const ruleHost = fc.constantFrom(null, 'a.example.com', 'A.example.com', '*.example.com', 'example.com', 'b.a.example.com');
  const requestHost = fc.constantFrom(null, '', 'a.example.com', 'A.Example.com:80', 'b.a.example.com', 'example.com', 'x.example.com.', 'other.test');
  const routes = fc.array(fc.record({ host: ruleHost, path: rulePath, pathType }), { maxLength: 8 }).map((written) =>
    written.map(
      (w, index): RouteSpec => ({ id: `ingress:default/gen#r0.p${index}`, ...w, service: 'gen', port: 80 }),
    ),
  );

  it('on random tables and requests', () => {
    fc.assert(
      fc.property(routes, requestHost, requestPath, (specs, host, path) => {
        const table = buildTable(specs);
        const request = { host, path };
        const match = matchRequest(table, request);
        expect(match.route?.id ?? null).toBe(referenceWinner(specs, request));
        expect(matchPart(explainRequest(table, request))).toEqual(match);
      }),
      { numRuns: 2000 },
    );
  });
});
