import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, freePort, ingressYaml, waitFor } from './harness.js';
import {
  closeRawResources,
  connect,
  expectCleanAfterEarlyAnswer,
  header,
  holdingHandler,
  probe as probeHost,
  proxyFixture,
  range,
  recorder,
  requestsFor,
  streamingHandler,
  text,
} from './raw.js';
import { acceptWebSocket, decodeFrames, encodeFrame } from './ws.js';

// What a client sees of the proxy's request side, with exact bytes on raw sockets: pipelining,
// keep-alive, request bodies, half-closes, shutdown and the events each request leaves. These
// pinned the hand-written front; they hold for whatever parses client requests.

const app = 'app.example.com';
const table = compileTable(
  ingressYaml('pipeline-client', [
    { host: app, paths: [{ path: '/echo', service: 'echo' }, { path: '/', service: 'app' }] },
    { host: 'down.example.com', paths: [{ path: '/', service: 'down' }] },
  ]),
  'pipeline-client.yaml',
);
const { get, post } = requestsFor(app);

const fixture = proxyFixture(table, { echo: 'echo' });
const { seen } = fixture;
/** The proxy, with `app` on a node:http backend (the recorder unless `handler`), `echo` on the echo. */
const start = fixture.start;

afterEach(async () => {
  await closeRawResources();
  await fixture.close();
});

const probe = (port: number): Promise<void> => probeHost(port, app);

const seenUrls = fixture.seenUrls;

describe('pipelining', () => {
  it('answers ten GETs written in one write, in order, on one open connection', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(range(10).map((i) => get(`/p${i}`)).join(''));
    const responses = await client.responses(10);
    expect(responses.map((r) => [r.status, text(r)])).toEqual(range(10).map((i) => [200, `GET /p${i} 0`]));
    expect(seenUrls()).toEqual(range(10).map((i) => `/p${i}`).toSorted());
    expect(client.closed).toBe(false);
    await waitFor(() => p.events.length === 10);
    expect(p.events.map((e) => [e.path, e.status]).toSorted()).toEqual(range(10).map((i) => [`/p${i}`, 200]).toSorted());
  });

  it('answers an HTTP/1.0 keep-alive request in the middle of pipelined HTTP/1.1 ones, in order', async () => {
    const p = await start();
    const client = connect(p.port);
    const old = `GET /c HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n\r\n`;
    await client.write(get('/a') + get('/b') + old + get('/d') + get('/e'));
    const responses = await client.responses(5);
    expect(responses.map(text)).toEqual(['GET /a 0', 'GET /b 0', 'GET /c 0', 'GET /d 0', 'GET /e 0']);
    expect(seenUrls()).toEqual(['/a', '/b', '/c', '/d', '/e']);
  });

  it('answers a pipelined request for a Service mapped to echo in its place', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a') + get('/echo/x?q=1') + get('/b'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(text(responses[0])).toBe('GET /a 0');
    expect(JSON.parse(text(responses[1]))).toMatchObject({ method: 'GET', path: '/echo/x?q=1', host: app });
    expect(text(responses[2])).toBe('GET /b 0');
    expect(seenUrls()).toEqual(['/a', '/b']);
  });

  it('answers a pipelined chunked POST; its body and the requests after it arrive whole', async () => {
    const p = await start();
    const client = connect(p.port);
    const chunked = `POST /up HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`;
    await client.write(get('/a') + chunked + get('/b'));
    const responses = await client.responses(3);
    expect(responses.map(text)).toEqual(['GET /a 0', 'POST /up 11', 'GET /b 0']);
    expect(seen.map((s) => [s.url, s.body.toString()]).toSorted()).toEqual([
      ['/a', ''],
      ['/b', ''],
      ['/up', 'hello world'],
    ]);
  });

  it('answers Expect: 100-continue with 100 Continue, then the answer', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a') + post('/expect', 'hello', 'Expect: 100-continue\r\n'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 100, 200]);
    expect(text(responses[2])).toBe('POST /expect 5');
  });

  // node's server hands the socket over at an Upgrade or CONNECT while the answers to the
  // requests before it may still be on their way: what the proxy writes for the Upgrade must
  // come after them, or the client reads it as the answer to an earlier request.
  const key = randomBytes(16).toString('base64');
  const upgrade = (host: string): string =>
    `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  it('relays a WebSocket upgrade pipelined behind two GETs, one of them slow, after their answers', async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    fixture.upstream?.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(req, socket));
    const client = connect(p.port);
    await client.write(get('/a') + get('/hold') + upgrade(app));
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /hold');
    // A round trip through the proxy on another connection: time for the upgrade to overtake.
    await probe(p.port);
    held[0]?.end('held');
    const responses = await client.responses(3, { timeoutMs: 3000 });
    expect(responses.map((r) => r.status)).toEqual([200, 200, 101]);
    expect(responses.slice(0, 2).map(text)).toEqual(['GET /a 0', 'held']);
    const tunnelStart = responses[2]?.end ?? 0;
    await client.write(encodeFrame('hi', { masked: true }));
    await waitFor(() => decodeFrames(client.data.subarray(tunnelStart)).messages.length === 1);
    expect(decodeFrames(client.data.subarray(tunnelStart)).messages[0]?.text).toBe('echo: hi');
  });

  it.each([
    ['an Upgrade for a host no rule serves', upgrade('nope.example.com'), 404],
    ['a CONNECT', `CONNECT ${app}:443 HTTP/1.1\r\nHost: ${app}:443\r\n\r\n`, 501],
  ])('answers %s pipelined behind a slow GET after the GET\'s answer', async (_name, request, status) => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    const client = connect(p.port);
    await client.write(get('/hold') + request);
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /hold');
    await probe(p.port);
    held[0]?.end('held');
    const responses = await client.responses(2);
    expect(responses.map((r) => [r.status, r.status === 200 ? text(r) : ''])).toEqual([
      [200, 'held'],
      [status, ''],
    ]);
  });

  it('pipelines requests with Content-Length bodies between bodiless ones', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/p1', 'abc') + get('/g1') + post('/p2', 'x'.repeat(5000)) + post('/p3', '') + get('/g2'));
    const responses = await client.responses(5);
    expect(responses.map(text)).toEqual(['POST /p1 3', 'GET /g1 0', 'POST /p2 5000', 'POST /p3 0', 'GET /g2 0']);
    expect(seen.map((s) => [s.url, s.body.toString()]).toSorted()).toEqual([
      ['/g1', ''],
      ['/g2', ''],
      ['/p1', 'abc'],
      ['/p2', 'x'.repeat(5000)],
      ['/p3', ''],
    ]);
  });

  it('answers 1500 pipelined requests (more than 128 KB) held behind a slow response, in order', { timeout: 30_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /hold');
    const pad = `X-Pad: ${'p'.repeat(80)}\r\n`;
    const pipelined = range(1500).map((i) => get(`/q${i}`, pad)).join('');
    expect(pipelined.length).toBeGreaterThan(128 * 1024);
    await client.write(pipelined);
    held[0]?.end('held');
    const responses = await client.responses(1501, { timeoutMs: 25_000 });
    expect(responses).toHaveLength(1501);
    expect(text(responses[0])).toBe('held');
    expect(responses.slice(1).map(text)).toEqual(range(1500).map((i) => `GET /q${i} 0`));
  });

  it('goes on after an extra CRLF following a body (RFC 9112 section 2.2)', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`${post('/p', 'abc')}\r\n${get('/after')}`);
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /p 3', 'GET /after 0']);
  });

  // One read of the socket holds thousands of these (27 bytes each). An exception while
  // answering them is uncaught, and would kill the proxy process.
  it('answers 3000 pipelined requests for an unknown host, written at once, without an uncaught exception', { timeout: 30_000 }, async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const p = await start();
      const client = connect(p.port);
      await client.write(get('/', '', 'x').repeat(3000) + get('/last'));
      const responses = await client.responses(3001, { timeoutMs: 25_000 });
      expect(uncaught.map(String)).toEqual([]);
      expect(responses).toHaveLength(3001);
      expect(responses.slice(0, 3000).filter((r) => r.status !== 404)).toEqual([]);
      expect(text(responses[3000])).toBe('GET /last 0');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('keep-alive', () => {
  it('serves 100 sequential requests over one client connection and one upstream connection', { timeout: 15_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    for (let i = 0; i < 100; i++) {
      await client.write(get(`/k${i}`));
      const responses = await client.responses(i + 1);
      expect(text(responses[i])).toBe(`GET /k${i} 0`);
      expect(header(responses[i], 'connection')).toBe('keep-alive');
    }
    expect(client.closed).toBe(false);
    expect(fixture.upstream?.connections).toBe(1);
  });

  // RFC 9112 section 9.6: the server answers the request that said close, then closes, and
  // processes nothing after it.
  it("answers a client's Connection: close with Connection: close, closes, and drops what was pipelined after it", async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a', 'Connection: close\r\n') + get('/after'));
    const responses = await client.all();
    expect(responses).toHaveLength(1);
    expect(text(responses[0])).toBe('GET /a 0');
    expect(header(responses[0], 'connection')).toBe('close');
    expect(client.ended).toBe(true);
    expect(client.error).toBeNull();
    await probe(p.port);
    expect(seenUrls()).toEqual(['/a', '/probe']);
  });

  it('answers an HTTP/1.0 request and closes', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /old HTTP/1.0\r\nHost: ${app}\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => [r.status, text(r)])).toEqual([[200, 'GET /old 0']]);
  });
});

describe('request bodies with Content-Length', () => {
  it('reads a request written one byte per write, then the next one', { timeout: 20_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.trickle(post('/bytes', 'hello world', 'X-Any: 1\r\n') + get('/next'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /bytes 11', 'GET /next 0']);
    expect(seen.map((s) => [s.url, s.body.toString()]).toSorted()).toEqual([
      ['/bytes', 'hello world'],
      ['/next', ''],
    ]);
  });

  it('forwards body bytes that came in the same packet as the head', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/one', 'hello'));
    const [response] = await client.responses(1);
    expect(text(response)).toBe('POST /one 5');
    expect(seen[0]?.body.toString()).toBe('hello');
    expect(seen[0]?.headers['content-length']).toBe('5');
  });

  it('splits a packet holding a body and the next request at the body end', async () => {
    const p = await start();
    const client = connect(p.port);
    // The body looks like a request: it must reach the backend as body, not as a request.
    const body = get('/smuggled');
    await client.write(post('/carrier', body) + get('/next'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual([`POST /carrier ${body.length}`, 'GET /next 0']);
    expect(seenUrls()).toEqual(['/carrier', '/next']);
    expect(seen.find((s) => s.url === '/carrier')?.body.toString()).toBe(body);
  });

  it('streams a 20 MB upload to a slow backend intact', { timeout: 60_000 }, async () => {
    const size = 20 * 1024 * 1024;
    const body = randomBytes(size);
    const p = await start({
      handler: (req, res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          // A slow reader: backpressure has to reach the client through the proxy.
          req.pause();
          setImmediate(() => req.resume());
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      },
    });
    const client = connect(p.port);
    void client.write(`POST /upload HTTP/1.1\r\nHost: ${app}\r\nContent-Length: ${size}\r\n\r\n`);
    void client.write(body);
    const [response] = await client.responses(1, { timeoutMs: 50_000 });
    expect(response?.status).toBe(200);
    expect(JSON.parse(text(response))).toEqual({ bytes: size, sha256: createHash('sha256').update(body).digest('hex') });
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]).toMatchObject({ status: 200, bytesIn: size });
  });

  it('forwards Content-Length: 0 as an empty body and keeps the connection', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/zero', '') + get('/after'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /zero 0', 'GET /after 0']);
    const zero = seen.find((s) => s.url === '/zero');
    expect(zero?.headers['content-length']).toBe('0');
    expect(zero?.headers['transfer-encoding']).toBeUndefined();
  });

  // The client goes on sending the body it announced after the answer came. Either the proxy
  // reads and drops the rest and keeps the connection, or it closes after the answer; in both
  // cases the client gets the answer and no reset (a reset can destroy an unread answer).
  it('answers a backend that replies before reading the body, and stays clean while the client still sends', async () => {
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url !== '/early') return record(req, res);
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('too big');
      },
    });
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`POST /early HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 300000\r\n\r\n${'z'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(413);
    expect(text(response)).toBe('too big');
    await expectCleanAfterEarlyAnswer(client, 299_000, header(response, 'connection'), get('/after-early'));
    if (!client.closed) expect(seenUrls()).toContain('/after-early');
    await probe(p.port);
  });
});

describe('half-close', () => {
  it('answers a request whose client half-closed right after it', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/hc'));
    client.socket.end();
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['GET /hc 0']);
  });

  it('answers a slow request whose client half-closed while it was in flight', async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    const client = connect(p.port);
    await client.write(post('/hold', 'body'));
    client.socket.end();
    await waitFor(() => held.length === 1);
    held[0]?.end('late answer');
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['late answer']);
  });

  // The body can never be completed: holding the upstream request until the send timeout
  // (60 s) keeps the backend waiting for bytes that will not come.
  it('aborts the upstream request when the client half-closes in the middle of a Content-Length body', async () => {
    let backendSawAbort = false;
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url !== '/upload') return record(req, res);
        req.resume();
        req.on('close', () => (backendSawAbort = !req.complete));
      },
    });
    const client = connect(p.port);
    await client.write(`POST /upload HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 100000\r\n\r\n${'q'.repeat(1000)}`);
    await waitFor(() => fixture.upstream?.connections === 1);
    client.socket.end();
    await waitFor(() => backendSawAbort, 5000, 'the backend to see the upload aborted');
    await waitFor(() => p.events.length === 1);
    await probe(p.port);
  });

  it('answers every pipelined request written before the half-close', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/one') + get('/two'));
    client.socket.end();
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['GET /one 0', 'GET /two 0']);
  });
});

describe('shutdown', () => {
  it('closes an idle kept-alive connection at once', { timeout: 10_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a'));
    await client.responses(1);
    // A grace far past the test's timeout: the close must not wait for it.
    await p.proxy.close(30_000);
    await client.waitClosed();
  });

  it('closes an idle connection after an HTTP/1.0 keep-alive request at once', { timeout: 10_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /old HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n\r\n`);
    await client.responses(1);
    await p.proxy.close(30_000);
    await client.waitClosed();
  });

  it('lets a request in flight finish, then closes its connection', { timeout: 10_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1);
    const closing = p.proxy.close(30_000);
    held[0]?.end('finished after close');
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['finished after close']);
    await closing;
  });

  it('says Connection: close on a response that started after the close began', { timeout: 10_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(seen, held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1);
    const closing = p.proxy.close(30_000);
    held[0]?.end('finished after close');
    const responses = await client.all();
    expect(header(responses[0], 'connection')).toBe('close');
    await closing;
  });
});

describe('events', () => {
  it('emits exactly one request-completed event per request, with its status', async () => {
    const port = await freePort();
    let streamClosed = false;
    const p = await start({ handler: streamingHandler(seen, () => (streamClosed = true)), map: { down: port } });
    const client = connect(p.port);
    const id = (n: number): string => `X-Request-ID: ev-${n}\r\n`;
    await client.write(
      get('/e1', id(1)) +
        get('/', id(2), 'nope.example.com') +
        get('/', id(3), 'down.example.com') +
        `HEAD /e4 HTTP/1.1\r\nHost: ${app}\r\n${id(4)}\r\n` +
        post('/e5', 'body', id(5)) +
        `GET /e6 HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n${id(6)}\r\n` +
        get('/e7', id(7)),
    );
    const responses = await client.responses(7, { methods: ['GET', 'GET', 'GET', 'HEAD', 'POST', 'GET', 'GET'] });
    expect(responses.map((r) => r.status)).toEqual([200, 404, 502, 200, 200, 200, 200]);

    const gone = connect(p.port);
    await gone.write(get('/stream', id(8)));
    await waitFor(() => gone.data.length > 0);
    gone.socket.destroy();
    await waitFor(() => streamClosed && p.events.length >= 8);
    await probe(p.port);
    await waitFor(() => p.events.length >= 9);

    const byId = new Map<string, number[]>();
    for (const event of p.events) byId.set(event.id, [...(byId.get(event.id) ?? []), event.status]);
    expect(Object.fromEntries([...byId].filter(([key]) => key.startsWith('ev-')))).toEqual({
      'ev-1': [200],
      'ev-2': [404],
      'ev-3': [502],
      'ev-4': [200],
      'ev-5': [200],
      'ev-6': [200],
      'ev-7': [200],
      'ev-8': [499],
    });
    expect(p.events).toHaveLength(9);
  });
});
