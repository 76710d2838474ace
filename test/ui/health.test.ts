import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/events/bus.js';
import type { BackendChanged } from '../../src/events/types.js';
import { buildTable } from '../../src/routing/table-builder.test-util.js';
import { createHealthChecker, type HealthChecker } from '../../src/backends/health.js';
import type { BackendResolver, Resolution, Target } from '../../src/backends/types.js';

const servers: Server[] = [];
const checkers: HealthChecker[] = [];
afterEach(async () => {
  for (const c of checkers.splice(0)) c.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** A port that refuses: bound once, then closed. */
async function closedPort(): Promise<number> {
  const { server, port } = await listen();
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const http = (port: number): Target => ({ kind: 'http', protocol: 'http:', host: '127.0.0.1', port, origin: `http://127.0.0.1:${port}` });

function resolverOf(targets: Record<string, Target>): BackendResolver {
  return {
    resolve(backend): Resolution {
      const target = targets[backend.service];
      return target === undefined ? { kind: 'unavailable', cause: 'unmapped', reason: 'not mapped', hint: '' } : { kind: 'target', target, via: 'test' };
    },
  };
}

const table = buildTable([
  { id: 'ingress:default/a#r0.p0', host: 'a.test', path: '/', pathType: 'Prefix', service: 'up', port: 80 },
  { id: 'ingress:default/a#r0.p1', host: 'a.test', path: '/down', pathType: 'Prefix', service: 'down', port: 80 },
  { id: 'ingress:default/a#r0.p2', host: 'a.test', path: '/echo', pathType: 'Prefix', service: 'stub', port: 80 },
  { id: 'ingress:default/a#r0.p3', host: 'a.test', path: '/none', pathType: 'Prefix', service: 'nothing', port: 80 },
  { id: 'ingress:default/a#r0.p4', host: 'a.test', path: '/broken', pathType: 'Prefix', service: 'up', port: 81, problem: 'port 81 not found' },
  // The same Service port twice: probed and reported once.
  { id: 'ingress:default/b#r0.p0', host: 'b.test', path: '/', pathType: 'Prefix', service: 'up', port: 80 },
]);

describe('health checker', () => {
  it('reports each backend once: reachable, refused, echo, unmapped, and a broken backend as unmapped', async () => {
    const { port } = await listen();
    const down = await closedPort();
    const events = createEventBus();
    const seen: BackendChanged[] = [];
    events.on('backend-changed', (e) => seen.push(e));
    const resolver = resolverOf({ up: http(port), down: http(down), stub: { kind: 'echo' } });
    const checker = createHealthChecker({ getState: () => ({ table, resolver }), events, intervalMs: 60_000 });
    checkers.push(checker);
    await checker.check();
    const byService = Object.fromEntries(seen.map((e) => [e.service, [e.state, e.target]]));
    expect(byService).toEqual({
      'default/up:80': ['reachable', `http://127.0.0.1:${port}`],
      'default/down:80': ['refused', `http://127.0.0.1:${down}`],
      'default/stub:80': ['reachable', 'echo'],
      'default/nothing:80': ['unmapped', null],
      'default/up:81': ['unmapped', null],
    });
    expect(seen).toHaveLength(5);

    // Nothing changed: nothing is emitted.
    await checker.check();
    expect(seen).toHaveLength(5);
  });

  it('emits when a target starts or stops answering', async () => {
    const { server, port } = await listen();
    const events = createEventBus();
    const seen: BackendChanged[] = [];
    events.on('backend-changed', (e) => seen.push(e));
    const upOnly = buildTable([{ id: 'ingress:default/a#r0.p0', host: 'a.test', path: '/', pathType: 'Prefix', service: 'up', port: 80 }]);
    const checker = createHealthChecker({ getState: () => ({ table: upOnly, resolver: resolverOf({ up: http(port) }) }), events, intervalMs: 60_000 });
    checkers.push(checker);
    await checker.check();
    servers.splice(servers.indexOf(server), 1);
    await new Promise((resolve) => server.close(resolve));
    await checker.check();
    expect(seen.map((e) => e.state)).toEqual(['reachable', 'refused']);
    expect(checker.states().get('default/up:80')?.state).toBe('refused');
  });

  it('checks again at once when a reload is applied, and stops', async () => {
    const { port } = await listen();
    const events = createEventBus();
    const seen: BackendChanged[] = [];
    events.on('backend-changed', (e) => seen.push(e));
    let state = { table: buildTable([]), resolver: resolverOf({}) };
    const checker = createHealthChecker({ getState: () => state, events, intervalMs: 60_000 });
    checkers.push(checker);
    await checker.check();
    state = { table: buildTable([{ id: 'ingress:default/a#r0.p0', host: 'a.test', path: '/', pathType: 'Prefix', service: 'up', port: 80 }]), resolver: resolverOf({ up: http(port) }) };
    events.emit({ type: 'config-applied', at: 0, trigger: 'a.yaml', routes: 1, files: 1, changes: { added: ['ingress:default/a#r0.p0'], removed: [], changed: [] }, diagnostics: [], durationMs: 1, restartNeeded: null });
    const deadline = Date.now() + 3_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen.map((e) => e.state)).toEqual(['reachable']);
    checker.stop();
    await checker.check();
    expect(seen).toHaveLength(1);
  });
});
