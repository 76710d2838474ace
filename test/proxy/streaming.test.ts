import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, ingressYaml, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

// Bodies stream through the proxy with backpressure: a body far larger than the memory it may
// use passes through, and a client that goes away releases the backend.
const table = compileTable(ingressYaml('files', [{ host: 'files.example.com', paths: [{ path: '/', service: 'files' }] }]));
const host = 'files.example.com';
const mb = 1024 * 1024;
const bodySize = 200 * mb;
const chunkSize = 64 * 1024;

/** How far a generated body got: the producer stalls when backpressure reaches it. */
interface Progress {
  bytes: number;
  changedAt: number;
  done: boolean;
}

/** A body produced on the fly: a fresh buffer per chunk, so buffering anywhere would show in memory. */
function generated(size: number, progress: Progress = { bytes: 0, changedAt: 0, done: false }): Readable {
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += chunkSize) {
        progress.bytes = sent;
        progress.changedAt = performance.now();
        yield Buffer.alloc(Math.min(chunkSize, size - sent), sent % 251);
      }
      progress.done = true;
    })(),
    { objectMode: false },
  );
}

/** Resolves when the producer finished or made no progress for 200 ms (backpressure holds it). */
function stalledOrDone(progress: Progress): Promise<void> {
  return waitFor(() => progress.done || (progress.bytes > 0 && performance.now() - progress.changedAt > 200), 30_000, 'the producer to stall');
}

/** A full garbage collection, so a sample counts live memory only (V8's GC timing differs by version). */
const collectGarbage = ((): (() => void) => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Live heap plus buffer memory: anything the proxy buffered is live, and counted. */
function liveMemory(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('streaming', () => {
  let upstream: Upstream;
  let proxy: TestProxy;

  async function start(handler: http.RequestListener): Promise<void> {
    upstream = await startUpstream(handler);
    proxy = await startTestProxy({ table, resolver: testResolver({ files: upstream.port }) });
  }
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  // The client stops reading for a while: with backpressure the backend stalls too; without it,
  // the proxy would read the whole body into memory.
  it('downloads 200 MB while memory stays flat, even when the client stops reading', { timeout: 60_000 }, async () => {
    const produced: Progress = { bytes: 0, changedAt: 0, done: false };
    await start((_req, res) => {
      res.writeHead(200, { 'content-length': String(bodySize) });
      void pipeline(generated(bodySize, produced), res).catch(() => {});
    });
    const baseline = liveMemory();
    let received = 0;
    let paused = false;
    let growthWhilePaused = 0;
    await new Promise<void>((resolve, reject) => {
      http.get({ port: proxy.port, host: '127.0.0.1', headers: { host }, agent: false }, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 10 * mb && !paused) {
            paused = true;
            res.pause();
            void stalledOrDone(produced).then(() => {
              growthWhilePaused = liveMemory() - baseline;
              res.resume();
            });
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
    });
    expect(received).toBe(bodySize);
    expect(paused).toBe(true);
    expect(growthWhilePaused).toBeLessThan(50 * mb);
    expect(liveMemory() - baseline).toBeLessThan(50 * mb);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 200, bytesOut: bodySize, error: null });
  });

  it('uploads 200 MB (chunked) while memory stays flat, even when the backend stops reading', { timeout: 60_000 }, async () => {
    const produced: Progress = { bytes: 0, changedAt: 0, done: false };
    let paused = false;
    let growthWhilePaused = 0;
    const baseline = liveMemory();
    await start((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= 10 * mb && !paused) {
          paused = true;
          req.pause();
          void stalledOrDone(produced).then(() => {
            growthWhilePaused = liveMemory() - baseline;
            req.resume();
          });
        }
      });
      req.on('end', () => res.end(String(bytes)));
    });
    const req = http.request({ port: proxy.port, host: '127.0.0.1', method: 'PUT', path: '/upload', headers: { host }, agent: false });
    const answer = new Promise<string>((resolve) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      });
    });
    await pipeline(generated(bodySize, produced), req);
    expect(await answer).toBe(String(bodySize));
    expect(paused).toBe(true);
    expect(growthWhilePaused).toBeLessThan(50 * mb);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 200, bytesIn: bodySize });
  });

  it('forwards a body with Content-Length exactly', async () => {
    await start((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(`${req.headers['content-length']} ${req.headers['transfer-encoding'] ?? 'none'} ${bytes}`));
    });
    const body = 'x'.repeat(100_000);
    expect((await send(proxy.port, { method: 'POST', headers: { host, 'content-length': String(body.length) }, body })).body).toBe('100000 none 100000');
  });

  it('releases the backend when the client aborts a download', async () => {
    let upstreamClosed = false;
    let upstreamFinished = false;
    await start((req, res) => {
      if (req.url === '/small') return void res.end('ok');
      res.on('close', () => (upstreamClosed = true));
      res.on('finish', () => (upstreamFinished = true));
      res.writeHead(200);
      void pipeline(generated(bodySize), res).catch(() => {});
    });
    await new Promise<void>((resolve) => {
      const req = http.get({ port: proxy.port, host: '127.0.0.1', headers: { host }, agent: false }, (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 5 * mb) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => {});
    });
    await waitFor(() => upstreamClosed, 5000, "the backend response's close");
    expect(upstreamFinished).toBe(false);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 499, error: 'the client closed the connection' });
    // The proxy still serves.
    expect((await send(proxy.port, { path: '/small', headers: { host } })).body).toBe('ok');
  });

  it('releases the backend when the client aborts an upload', async () => {
    let upstreamAborted = false;
    await start((req, res) => {
      req.on('close', () => (upstreamAborted = !req.complete));
      req.resume();
      req.on('end', () => res.end('done'));
    });
    const req = http.request({ port: proxy.port, host: '127.0.0.1', method: 'POST', headers: { host }, agent: false });
    req.on('error', () => {});
    req.write(Buffer.alloc(mb));
    await waitFor(() => upstream.connections === 1);
    req.destroy();
    await waitFor(() => upstreamAborted, 5000, 'the backend request to be aborted');
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]?.status).toBe(499);
  });
});
