import { describe, expect, it } from 'vitest';
import { createInflightRequests } from './inflight.js';

describe('createInflightRequests', () => {
  const toContainer = (host: string) => host === '172.18.0.3';

  it('counts requests per address until each ends, once', () => {
    const inflight = createInflightRequests();
    const a = inflight.begin('172.18.0.3', 3000);
    const b = inflight.begin('172.18.0.3', 8080);
    const other = inflight.begin('172.18.0.4', 3000);
    expect(inflight.count(toContainer)).toBe(2);
    a();
    a();
    expect(inflight.count(toContainer)).toBe(1);
    b();
    other();
    expect(inflight.count(() => true)).toBe(0);
  });

  it('whenIdle resolves when the last request to the container ends, with 0', async () => {
    const inflight = createInflightRequests();
    const end = inflight.begin('172.18.0.3', 3000);
    const unrelated = inflight.begin('172.18.0.4', 3000);
    let left: number | null = null;
    const idle = inflight.whenIdle(toContainer, 60_000).then((n) => (left = n));
    await Promise.resolve();
    expect(left).toBeNull();
    end();
    expect(await idle).toBe(0);
    unrelated();
  });

  it('whenIdle gives up after its time, or when aborted, with what is still in progress', async () => {
    const inflight = createInflightRequests();
    inflight.begin('172.18.0.3', 3000);
    expect(await inflight.whenIdle(toContainer, 1)).toBe(1);
    const abort = new AbortController();
    const idle = inflight.whenIdle(toContainer, 60_000, abort.signal);
    abort.abort();
    expect(await idle).toBe(1);
    expect(await inflight.whenIdle(() => false, 60_000)).toBe(0);
  });
});
