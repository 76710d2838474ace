import { describe, expect, it } from 'vitest';
import type { DefaultBackendSpec, RouteSpec } from './cases.js';
import { implementationSpecificNote } from './explain.js';
import { explainRequest } from './match.js';
import { buildTable } from './table-builder.test-util.js';
import type { LossReason, MatchRequest } from './types.js';

interface ReasonExample {
  readonly routes: readonly RouteSpec[];
  readonly defaultBackends?: readonly DefaultBackendSpec[];
  readonly request: MatchRequest;
  readonly winnerId: string | null;
  readonly loserId: string;
  readonly detail: string;
}

const route = (id: string, host: string | null, path: string, pathType: RouteSpec['pathType'] = 'Prefix'): RouteSpec => ({
  id,
  host,
  path,
  pathType,
  service: id.slice('ingress:default/'.length, id.indexOf('#')),
  port: 80,
});

// A Record over LossReason: the compiler fails this file when a reason has no example. The
// nginx profile's reasons need nginx servers, which this table builder does not make: their
// examples are in test/nginx/locations.test.ts; the Gateway API's are in test/gateway/matching.test.ts.
const examples: Record<Exclude<LossReason, `nginx-${string}` | `gateway-${string}`>, readonly ReasonExample[]> = {
  'other-host': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/'), route('ingress:default/api#r0.p0', 'api.example.com', '/')],
      request: { host: 'api.example.com', path: '/' },
      winnerId: 'ingress:default/api#r0.p0',
      loserId: 'ingress:default/app#r0.p0',
      detail: 'host app.example.com ≠ request host api.example.com',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/')],
      request: { host: null, path: '/' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'host app.example.com ≠ request host (none)',
    },
  ],
  'host-rule-matched': [
    {
      routes: [route('ingress:default/shop#r0.p0', 'shop.example.com', '/cart'), route('ingress:default/catchall#r0.p0', null, '/')],
      request: { host: 'shop.example.com', path: '/' },
      winnerId: null,
      loserId: 'ingress:default/catchall#r0.p0',
      detail: 'host-less rules only serve hosts that match no host rule; shop.example.com matched rule host shop.example.com',
    },
    {
      routes: [route('ingress:default/wild#r0.p0', '*.example.com', '/'), route('ingress:default/catchall#r0.p0', null, '/')],
      request: { host: 'shop.example.com', path: '/' },
      winnerId: 'ingress:default/wild#r0.p0',
      loserId: 'ingress:default/catchall#r0.p0',
      detail: 'host-less rules only serve hosts that match no host rule; shop.example.com matched rule host *.example.com',
    },
  ],
  'exact-host-preferred': [
    {
      routes: [route('ingress:default/wild#r0.p0', '*.example.com', '/'), route('ingress:default/app#r0.p0', 'app.example.com', '/')],
      request: { host: 'app.example.com', path: '/' },
      winnerId: 'ingress:default/app#r0.p0',
      loserId: 'ingress:default/wild#r0.p0',
      detail: 'an exact host rule is preferred over a wildcard; app.example.com matched rule host app.example.com, not *.example.com',
    },
  ],
  'wildcard-one-label': [
    {
      routes: [route('ingress:default/wild#r0.p0', '*.example.com', '/'), route('ingress:default/catchall#r0.p0', null, '/')],
      request: { host: 'a.b.example.com', path: '/' },
      winnerId: 'ingress:default/catchall#r0.p0',
      loserId: 'ingress:default/wild#r0.p0',
      detail: '*.example.com matches exactly one DNS label; a.b.example.com has more',
    },
    {
      routes: [route('ingress:default/wild#r0.p0', '*.example.com', '/')],
      request: { host: 'example.com', path: '/' },
      winnerId: null,
      loserId: 'ingress:default/wild#r0.p0',
      detail: '*.example.com matches exactly one DNS label before .example.com; example.com has none',
    },
  ],
  'path-mismatch': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/api')],
      request: { host: 'app.example.com', path: '/web?x=1' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Prefix /api does not match /web',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/API')],
      request: { host: 'app.example.com', path: '/api/users' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Prefix /API does not match /api/users: paths are case-sensitive',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo', 'Exact')],
      request: { host: 'app.example.com', path: '/bar' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Exact /foo does not match /bar',
    },
  ],
  'exact-mismatch': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo', 'Exact')],
      request: { host: 'app.example.com', path: '/foo/' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Exact /foo does not match /foo/: Exact compares the whole path, and a trailing slash counts',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo/', 'Exact')],
      request: { host: 'app.example.com', path: '/foo' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Exact /foo/ does not match /foo: Exact compares the whole path, and a trailing slash counts',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/Foo', 'Exact')],
      request: { host: 'app.example.com', path: '/foo' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Exact /Foo does not match /foo: Exact is case-sensitive',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo', 'Exact')],
      request: { host: 'app.example.com', path: '/foo/bar' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Exact /foo does not match /foo/bar: Exact compares the whole path, it is not a prefix',
    },
  ],
  'element-boundary': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo')],
      request: { host: 'app.example.com', path: '/foobar' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Prefix /foo does not match /foobar: prefixes match whole path elements, /foo ≠ /foobar',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/aaa/bb/')],
      request: { host: 'app.example.com', path: '/aaa/bbb/ccc' },
      winnerId: null,
      loserId: 'ingress:default/app#r0.p0',
      detail: 'Prefix /aaa/bb/ does not match /aaa/bbb/ccc: prefixes match whole path elements, /bb ≠ /bbb',
    },
  ],
  'shorter-match': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/api'), route('ingress:default/app#r0.p1', 'app.example.com', '/api/v1')],
      request: { host: 'app.example.com', path: '/api/v1/users' },
      winnerId: 'ingress:default/app#r0.p1',
      loserId: 'ingress:default/app#r0.p0',
      detail: 'matched, but /api/v1 (7 chars) is longer than /api (4)',
    },
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/api/'), route('ingress:default/app#r0.p1', 'app.example.com', '/api/v1')],
      request: { host: 'app.example.com', path: '/api/v1/users' },
      winnerId: 'ingress:default/app#r0.p1',
      loserId: 'ingress:default/app#r0.p0',
      detail: 'matched, but /api/v1 (7 chars) is longer than /api/ (4, without the trailing slash)',
    },
    {
      // API reference, PathTypePrefix: "the longest matching path (/foo/) is given priority".
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/api'), route('ingress:default/app#r0.p1', 'app.example.com', '/api/')],
      request: { host: 'app.example.com', path: '/api' },
      winnerId: 'ingress:default/app#r0.p1',
      loserId: 'ingress:default/app#r0.p0',
      detail:
        'matched, but /api/ (5 chars, trailing slash included) is longer than /api (4); both match the same path elements, and the longest matching path is given priority',
    },
  ],
  'exact-preferred': [
    {
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo'), route('ingress:default/app#r0.p1', 'app.example.com', '/foo', 'Exact')],
      request: { host: 'app.example.com', path: '/foo' },
      winnerId: 'ingress:default/app#r0.p1',
      loserId: 'ingress:default/app#r0.p0',
      detail: 'matched with the same length; Exact is preferred over Prefix (ingress:default/app#r0.p1 is Exact)',
    },
    {
      // Ingress concept page, "Multiple matches": Exact over Prefix when "still equally matched".
      routes: [route('ingress:default/app#r0.p0', 'app.example.com', '/foo/'), route('ingress:default/app#r0.p1', 'app.example.com', '/foo', 'Exact')],
      request: { host: 'app.example.com', path: '/foo' },
      winnerId: 'ingress:default/app#r0.p1',
      loserId: 'ingress:default/app#r0.p0',
      detail:
        'matched with the same length (4, without the trailing slash); Exact is preferred over Prefix (ingress:default/app#r0.p1 is Exact)',
    },
  ],
  'duplicate-older-wins': [
    {
      routes: [route('ingress:default/a#r0.p0', 'app.example.com', '/api'), route('ingress:default/b#r0.p0', 'app.example.com', '/api')],
      request: { host: 'app.example.com', path: '/api' },
      winnerId: 'ingress:default/a#r0.p0',
      loserId: 'ingress:default/b#r0.p0',
      detail: 'duplicate of ingress:default/a#r0.p0 (same host, path and pathType); the older definition wins',
    },
    {
      routes: [
        route('ingress:default/a#r0.p0', 'app.example.com', '/api/', 'ImplementationSpecific'),
        route('ingress:default/b#r0.p0', 'app.example.com', '/api/'),
      ],
      request: { host: 'app.example.com', path: '/api/x' },
      winnerId: 'ingress:default/a#r0.p0',
      loserId: 'ingress:default/b#r0.p0',
      detail:
        'equivalent to ingress:default/a#r0.p0 (Prefix /api/ matches like ImplementationSpecific /api/); the older definition wins',
    },
  ],
  'default-backend-shadowed': [
    {
      routes: [],
      defaultBackends: [
        { id: 'ingress:default/a#default', service: 'a', port: 80 },
        { id: 'ingress:default/b#default', service: 'b', port: 80 },
      ],
      request: { host: 'app.example.com', path: '/' },
      winnerId: null,
      loserId: 'ingress:default/b#default',
      detail: 'only one defaultBackend serves unmatched requests; the older ingress:default/a#default is used',
    },
  ],
};

describe('explainRequest gives each loser its reason', () => {
  const rows = Object.entries(examples).flatMap(([reason, list]) =>
    list.map((example) => [`${reason}: ${example.detail}`, reason, example] as const),
  );

  it.each(rows)('%s', (_name, reason, example) => {
    const explanation = explainRequest(buildTable(example.routes, example.defaultBackends), example.request);
    expect(explanation.route?.id ?? null).toBe(example.winnerId);
    const loser = explanation.candidates.find((candidate) => candidate.id === example.loserId);
    expect(loser).toMatchObject({ reason, detail: example.detail });
  });
});

describe('explainRequest', () => {
  it('lists the same host near misses first, then other hosts', () => {
    const table = buildTable([
      route('ingress:default/other#r0.p0', 'other.example.com', '/'),
      route('ingress:default/app#r0.p0', 'app.example.com', '/web'),
      route('ingress:default/app#r0.p1', 'app.example.com', '/api/x'),
      route('ingress:default/app#r0.p2', 'app.example.com', '/'),
      route('ingress:default/app#r0.p3', 'app.example.com', '/api'),
      route('ingress:default/catchall#r0.p0', null, '/'),
    ]);
    const explanation = explainRequest(table, { host: 'app.example.com', path: '/api/xyz' });
    expect(explanation.route?.id).toBe('ingress:default/app#r0.p3');
    expect(explanation.candidates.map((candidate) => [candidate.id, candidate.reason])).toEqual([
      ['ingress:default/app#r0.p2', 'shorter-match'],
      ['ingress:default/app#r0.p1', 'element-boundary'],
      ['ingress:default/app#r0.p0', 'path-mismatch'],
      ['ingress:default/catchall#r0.p0', 'host-rule-matched'],
      ['ingress:default/other#r0.p0', 'other-host'],
    ]);
  });

  it('describes candidates with their host, path and pathType as written', () => {
    const table = buildTable([
      route('ingress:default/app#r0.p0', 'app.example.com', '/'),
      route('ingress:default/app#r0.p1', 'app.example.com', '/api', 'Exact'),
    ]);
    const explanation = explainRequest(table, { host: 'app.example.com', path: '/api' });
    expect(explanation.candidates).toEqual([
      {
        id: 'ingress:default/app#r0.p0',
        host: 'app.example.com',
        path: '/',
        pathType: 'Prefix',
        reason: 'shorter-match',
        detail: 'matched, but /api (4 chars) is longer than / (0)',
      },
    ]);
  });

  it('notes how ImplementationSpecific is treated when the winner uses it', () => {
    const table = buildTable([route('ingress:default/app#r0.p0', 'app.example.com', '/api', 'ImplementationSpecific')]);
    expect(explainRequest(table, { host: 'app.example.com', path: '/api/x' }).notes).toEqual([implementationSpecificNote]);
  });

  it('notes how ImplementationSpecific is treated when a losing match uses it', () => {
    const table = buildTable([
      route('ingress:default/app#r0.p0', 'app.example.com', '/', 'ImplementationSpecific'),
      route('ingress:default/app#r0.p1', 'app.example.com', '/api'),
    ]);
    expect(explainRequest(table, { host: 'app.example.com', path: '/api/x' }).notes).toEqual([implementationSpecificNote]);
  });

  it('has no notes when ImplementationSpecific played no part', () => {
    const table = buildTable([
      route('ingress:default/app#r0.p0', 'app.example.com', '/api'),
      route('ingress:default/app#r0.p1', 'app.example.com', '/web', 'ImplementationSpecific'),
    ]);
    expect(explainRequest(table, { host: 'app.example.com', path: '/api/x' }).notes).toEqual([]);
  });
});
