import { afterEach, describe, expect, it } from 'vitest';
import type { BackendResolver, Resolution, Target } from '../../src/backends/types.js';
import { compileTable, echoHandler, freePort, ingressYaml, json, send, startTestProxy, startUpstream, targetOf, type TestProxy, type Upstream } from './harness.js';

// Issue 10 item 14: a request that could not be sent to one endpoint of a Service goes to the
// next, as ingress-nginx's defaults do (docs/user-guide/nginx-configuration/configmap.md:
// proxy-next-upstream "error timeout", proxy-next-upstream-tries 3, retry-non-idempotent false).
const host = 'app.example.com';
const table = compileTable(ingressYaml('next', [{ host, paths: [{ path: '/', service: 'web' }] }]));

/** Round-robin over `ports` (a Service with several endpoints), with the failed ones left out, as the Docker resolver does. */
function replicas(ports: readonly number[]): BackendResolver & { failures: string[] } {
  const failed = new Set<string>();
  let turn = 0;
  const targets = ports.map((port) => targetOf(port));
  return {
    failures: [],
    resolve(): Resolution {
      const usable = targets.filter((t) => t.kind === 'http' && !failed.has(t.origin));
      const pool = usable.length === 0 ? targets : usable;
      const target = pool[turn++ % pool.length] as Target;
      return { kind: 'target', target, via: `replica ${target.kind === 'http' ? target.port : ''}` };
    },
    reportFailure(_backend, target) {
      if (target.kind !== 'http') return;
      failed.add(target.origin);
      this.failures.push(target.origin);
    },
  };
}

describe('next endpoint on a failed connection (ingress-nginx proxy-next-upstream "error timeout")', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('sends every request to a live replica when another refuses connections, and takes the dead one out at once', async () => {
    upstream = await startUpstream(echoHandler);
    const dead = await freePort();
    const resolver = replicas([dead, upstream.port]);
    proxy = await startTestProxy({ table, resolver });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(proxy.port, { headers: { host } })).status);
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(resolver.failures).toEqual([`http://127.0.0.1:${dead}`]);
    expect(proxy.events.every((event) => event.target === `http://127.0.0.1:${upstream.port}` && event.error === null)).toBe(true);
  });

  it('sends a POST without a body whose connection was refused (nothing was sent) to the next replica', async () => {
    upstream = await startUpstream(echoHandler);
    const dead = await freePort();
    proxy = await startTestProxy({ table, resolver: replicas([dead, upstream.port]) });
    const reply = await send(proxy.port, { method: 'POST', headers: { host }, body: '' });
    expect(reply.status).toBe(200);
    expect(json(reply)).toMatchObject({ method: 'POST' });
  });

  it('answers 502 when every replica refuses, after trying each once', async () => {
    upstream = await startUpstream(echoHandler);
    const dead = [await freePort(), await freePort()];
    const resolver = replicas(dead);
    proxy = await startTestProxy({ table, resolver });
    const reply = await send(proxy.port, { headers: { host } });
    expect(reply.status).toBe(502);
    expect(new Set(resolver.failures)).toEqual(new Set(dead.map((port) => `http://127.0.0.1:${port}`)));
  });

  it('does not send a request with a body to another replica: the proxy streams bodies and keeps no copy', async () => {
    upstream = await startUpstream(echoHandler);
    const dead = await freePort();
    const resolver = replicas([dead, upstream.port]);
    proxy = await startTestProxy({ table, resolver });
    const reply = await send(proxy.port, { method: 'POST', headers: { host }, body: 'payload' });
    expect(reply.status).toBe(502);
    expect(resolver.failures).toEqual([]);
  });
});
