import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileTable, ingressYaml, startUpstream, waitFor, type TestProxy } from './harness.js';
import {
  ask,
  closeRawResources,
  connect,
  header,
  latin1,
  proxyFixture,
  receivedOn,
  recorder,
  startRawBackend,
  text,
  type ProxyTimeouts,
  type RawBackend,
  type RawClient,
} from './raw.js';
import { acceptWebSocket, encodeFrame, openWebSocket } from './ws.js';

// The defects of issue 9, each sent as the issue reproduces it, with raw sockets: what the
// client gets, what the backend received, whether the connection stays, and that the proxy is
// still serving afterwards. Named after the defect each pins.

const table = compileTable(
  ingressYaml('defects', [
    { host: 'a.test', paths: [{ path: '/x', service: 'raw' }, { path: '/ws', service: 'ws' }, { path: '/echo', service: 'echo' }, { path: '/', service: 'app' }] },
    { host: 'other.test', paths: [{ path: '/', service: 'app' }] },
  ]),
  'defects.yaml',
);

/** A request for `a.test`. */
function get(path: string, extra = '', host = 'a.test'): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

// A crash of the proxy is a crash of this process: every test checks that none was caught.
const crashes: unknown[] = [];
const onCrash = (err: unknown): void => void crashes.push(err);
beforeEach(() => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
});

const fixture = proxyFixture(table, { echo: 'echo' });
const { seen } = fixture;

afterEach(async () => {
  await closeRawResources();
  await fixture.close();
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  expect(crashes.splice(0).map(String)).toEqual([]);
});

/** The proxy, with `app` on a node:http backend recording what it served, and `raw`/`ws` where given. */
function start(options: { raw?: RawBackend; ws?: number; timeouts?: ProxyTimeouts } = {}): Promise<TestProxy> {
  const map: Record<string, number | string> = {};
  if (options.raw !== undefined) map.raw = options.raw.port;
  if (options.ws !== undefined) map.ws = options.ws;
  return fixture.start({ map, timeouts: options.timeouts });
}

/** A normal request on a fresh connection is answered: the proxy is still serving. */
async function expectStillServing(p: TestProxy): Promise<void> {
  const { response } = await ask(p.port, get('/still-serving'));
  expect([response?.status, text(response)]).toEqual([200, 'GET /still-serving 0']);
}

/** A backend that answers every request with `response`. */
function answering(response: string): Promise<RawBackend> {
  return startRawBackend((req) => req.socket.write(latin1(response)));
}

describe('defect 1: a backend can crash the proxy', () => {
  it.each([
    ['an HTTP/1.0 GET', `GET /x HTTP/1.0\r\nHost: a.test\r\n\r\n`, 'GET'],
    ['an HTTP/1.1 POST with an empty chunked body', `POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'POST'],
    ['an HTTP/1.1 GET', get('/x'), 'GET'],
  ])('defect 1: a backend status line with NUL/control bytes becomes a 502, never a crash (%s)', async (_name, request, method) => {
    const backend = await answering('HTTP/1.1 200 O\x00K\x01\r\nContent-Length: 2\r\n\r\nok');
    const p = await start({ raw: backend });
    const { response, client } = await ask(p.port, request, { method });
    expect(response?.status).toBe(502);
    expect(header(response, 'x-ingress-dev-error')).toBeDefined();
    // The backend got the request once: a response that cannot be relayed is not retried.
    expect(backend.requests.map((r) => r.head.split('\r\n')[0])).toEqual([`${method} /x HTTP/1.1`]);
    // An HTTP/1.0 client's connection ends with the answer; an HTTP/1.1 client's stays.
    if (request.includes('HTTP/1.0')) await client.waitClosed();
    else expect(client.closed).toBe(false);
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]?.status).toBe(502);
    await expectStillServing(p);
  });

  // No body to carry the head out: the head is written when the response completes.
  it.each([
    ['a HEAD answered with Content-Length: 2', `HEAD /x HTTP/1.1\r\nHost: a.test\r\n\r\n`, 'HEAD', 'HTTP/1.1 200 O\x00K\x01\r\nContent-Length: 2\r\n\r\n'],
    ['a GET answered with Content-Length: 0', get('/x'), 'GET', 'HTTP/1.1 200 O\x00K\x01\r\nContent-Length: 0\r\n\r\n'],
    ['a GET answered with 204', get('/x'), 'GET', 'HTTP/1.1 204 N\x01o Content\r\n\r\n'],
  ])('defect 1: a backend status line with NUL/control bytes on a response without a body becomes a 502, never a hang (%s)', async (_name, request, method, answer) => {
    const backend = await answering(answer);
    const p = await start({ raw: backend });
    // Well within the test's time: a request that hangs fails here, not by the test's timeout.
    const { response } = await ask(p.port, request, { method, timeoutMs: 3000 });
    expect(response?.status).toBe(502);
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]?.status).toBe(502);
    await expectStillServing(p);
  });

  it('defect 1: a reason phrase with an escape sequence becomes a 502, never a crash', async () => {
    const backend = await answering('HTTP/1.1 200 O\x1b[31mK\r\nContent-Length: 2\r\n\r\nok');
    const p = await start({ raw: backend });
    const { response } = await ask(p.port, get('/x'));
    expect(response?.status).toBe(502);
    await expectStillServing(p);
  });

  it('defect 1: a header value with control bytes becomes a 502, never a crash', async () => {
    const backend = await answering('HTTP/1.1 200 OK\r\nX-Bad: a\x01\x7fb\r\nContent-Length: 2\r\n\r\nok');
    const p = await start({ raw: backend });
    const { response } = await ask(p.port, get('/x'));
    expect(response?.status).toBe(502);
    await expectStillServing(p);
  });
});

describe('defect 2: an Upgrade answered with anything but 101 becomes a raw tunnel', () => {
  it('defect 2: an Upgrade answered 200 is relayed as a response; the bytes after it are HTTP, routed, never tunnelled', async () => {
    const wsBackend = await answering('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const p = await start({ ws: wsBackend.port });
    const client = connect(p.port);
    await client.write(`GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    const [first] = await client.responses(1);
    expect([first?.status, text(first)]).toEqual([200, 'ok']);

    const smuggled = `GET /admin HTTP/1.1\r\nHost: other.test\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`;
    await client.tryWrite(smuggled);
    const tunnelled = (): boolean => wsBackend.received.some((_, i) => receivedOn(wsBackend, i).includes('GET /admin'));
    // Either the proxy parses it as a new request (and answers), or it closed the connection.
    await waitFor(() => client.closed || client.parsed().length >= 2 || tunnelled(), 5000, 'the request after the refused upgrade to be answered or the connection closed');
    expect(tunnelled()).toBe(false);
    const responses = client.parsed();
    if (responses.length >= 2) {
      expect([responses[1]?.status, text(responses[1])]).toEqual([200, 'GET /admin 0']);
    } else {
      await client.waitClosed();
    }
    // Anything the proxy routed carries its forwarding headers, with the client address appended.
    for (const request of seen.filter((s) => s.url === '/admin')) expect(request.headers['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1');
    await expectStillServing(p);
  });

  it('defect 2: an idle relayed WebSocket is closed after the read timeout', { timeout: 15_000 }, async () => {
    const wsBackend = await startUpstream(() => {});
    const backendSockets: Duplex[] = [];
    wsBackend.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      backendSockets.push(socket);
      acceptWebSocket(req, socket);
    });
    try {
      const p = await start({ ws: wsBackend.port, timeouts: { readTimeoutMs: 500 } });
      const ws = await openWebSocket(p.port, '/ws', { Host: 'a.test' });
      expect(ws.status).toBe(101);
      ws.send('hi');
      expect(await ws.next()).toBe('echo: hi');
      let closed = false;
      void ws.closed.then(() => (closed = true));
      // Nothing more in either direction: both sides are closed.
      await waitFor(() => closed, 10_000, 'the idle tunnel to close');
      await waitFor(() => backendSockets.every((socket) => socket.destroyed), 5000, 'the backend side of the tunnel to close');
      await expectStillServing(p);
    } finally {
      await wsBackend.close();
    }
  });

  it('defect 2: a WebSocket with traffic in one direction only stays open past the read timeout', { timeout: 15_000 }, async () => {
    const wsBackend = await startUpstream(() => {});
    wsBackend.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      acceptWebSocket(req, socket);
      // The server pushes a message every tenth of the read timeout; the client says nothing.
      let sent = 0;
      const timer = setInterval(() => {
        socket.write(encodeFrame(`tick ${sent++}`, { masked: false }));
        if (sent === 15) clearInterval(timer);
      }, 100);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const p = await start({ ws: wsBackend.port, timeouts: { readTimeoutMs: 1000 } });
      const ws = await openWebSocket(p.port, '/ws', { Host: 'a.test' });
      for (let i = 0; i < 15; i++) expect(await ws.next()).toBe(`tick ${i}`);
      ws.send('still there');
      expect(await ws.next()).toBe('echo: still there');
      ws.socket.destroy();
    } finally {
      await wsBackend.close();
    }
  });
});

describe('defect 3: no deadline for a request head', () => {
  it('defect 3: clients that trickle a head are closed once the headers timeout passed since its first byte; idle keep-alive connections are not', { timeout: 30_000 }, async () => {
    const p = await start({ timeouts: { headersTimeoutMs: 1000 } });
    // A kept-alive connection that goes idle while the slow clients trickle: it sent no byte of a
    // next request yet, so no deadline runs for it.
    const idle = connect(p.port);
    expect(text(await idle.request(get('/before-idle')))).toBe('GET /before-idle 0');

    const slow: RawClient[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const client = connect(p.port);
        slow.push(client);
        await client.write(`GET /slow HTTP/1.1\r\nHost: a.test\r\nX-Pad: `);
        // One byte every 100 ms: never idle, never done.
        timers.push(setInterval(() => void client.tryWrite('a'), 100));
      }
      await waitFor(() => slow.every((client) => client.closed), 15_000, 'every slow client to be closed');
      for (const client of slow) {
        // node's server says 408 Request Timeout when it can; a close alone is fine too.
        expect(client.parsed().map((r) => r.status).filter((status) => status !== 408)).toEqual([]);
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
    expect(seen.map((s) => s.url)).not.toContain('/slow');
    // More than the headers timeout has passed: the idle connection still serves.
    expect(idle.closed).toBe(false);
    expect(text(await idle.request(get('/after-idle')))).toBe('GET /after-idle 0');
    await expectStillServing(p);
  });
});

describe('defect 4: the front dropped pipelined requests and forwarded bad request lines', () => {
  // The front handed such requests to node's server, with the bytes read so far; the FIN that
  // came with them was lost on the way, and the request with it.
  const pipelined: [string, string, string][] = [
    ['a GET', get('/second'), 'GET /second 0'],
    ['an HTTP/1.0 GET', `GET /second HTTP/1.0\r\nHost: a.test\r\n\r\n`, 'GET /second 0'],
    ['a chunked POST', `POST /second HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`, 'POST /second 2'],
    ['a request for the echo target', get('/echo?second'), '/echo?second'],
  ];

  it.each(pipelined)('defect 4: a request pipelined behind another and sent just before the client half-closes is answered (%s)', async (_kind, second, answer) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/first'));
    await client.write(second);
    client.socket.end();
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(text(responses[0])).toBe('GET /first 0');
    expect(text(responses[1])).toContain(answer);
  });

  it.each(pipelined)('defect 4: a request pipelined behind a slow one and sent just before the client half-closes is answered (%s)', async (_kind, second, answer) => {
    const held: ((body: string) => void)[] = [];
    const record = recorder(seen);
    const proxy = await fixture.start({
      handler: (req, res) => {
        if (req.url === '/slow') held.push((body) => res.end(body));
        else record(req, res);
      },
    });
    const client = connect(proxy.port);
    await client.write(get('/slow'));
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /slow');
    await client.write(second);
    client.socket.end();
    held[0]?.('slow answer');
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(text(responses[0])).toBe('slow answer');
    expect(text(responses[1])).toContain(answer);
  });

  it('defect 4: a 404 for a request with a body is answered, and so is the request pipelined after it', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`POST /nothing-here HTTP/1.1\r\nHost: nope.test\r\nContent-Length: 5\r\n\r\nhello${get('/after')}`);
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([404, 200]);
    expect(text(responses[1])).toBe('GET /after 0');
    expect(client.closed).toBe(false);
    expect(seen.map((s) => s.url)).toEqual(['/after']);
  });

  it.each([
    ['GET abc HTTP/1.1', `GET abc HTTP/1.1\r\nHost: a.test\r\n\r\n`],
    ['get / HTTP/1.1', `get / HTTP/1.1\r\nHost: a.test\r\n\r\n`],
  ])('defect 4: the request line %s gets 400 and is not forwarded', async (_line, request) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(request);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(400);
    await expectStillServing(p);
    expect(seen.map((s) => s.url)).toEqual(['/still-serving']);
    // The refused request shows in the log and the UI too, with node's reason.
    const refused = p.events.find((event) => event.status === 400);
    expect(refused?.error).toMatch(/^node's HTTP parser refused the request: /);
  });
});

describe('defect 5: the upstream side accepted what llhttp rejects', () => {
  // A read timeout far beyond the test's: a parser that waits for more instead of failing makes
  // the test time out; the answer must be the 502 of a response that failed to parse.
  const timeouts = { readTimeoutMs: 30_000 };
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';

  it.each([
    ['a bare-LF response head', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['a response head ending in bare LFs', 'HTTP/1.1 200 OK\r\nContent-Length: 2\n\nok'],
    ['the chunk size 5\\x0b', `${chunked}5\x0b\r\nhello\r\n0\r\n\r\n`],
    ['the chunk size " 5 "', `${chunked} 5 \r\nhello\r\n0\r\n\r\n`],
    ['a duplicate Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok'],
    ['a response head of 100 KB', `HTTP/1.1 200 OK\r\n${`X-Pad: ${'p'.repeat(1000)}\r\n`.repeat(100)}Content-Length: 2\r\n\r\nok`],
    ['a response head of 10 000 headers', `HTTP/1.1 200 OK\r\n${'X-N: 1\r\n'.repeat(10_000)}Content-Length: 2\r\n\r\nok`],
  ])('defect 5: %s becomes an immediate 502, not a 504 after the read timeout', { timeout: 25_000 }, async (_name, response) => {
    const backend = await answering(response);
    const p = await start({ raw: backend, timeouts });
    const { response: answer, client } = await ask(p.port, get('/x'), { timeoutMs: 20_000 });
    expect(answer?.status).toBe(502);
    expect(client.closed).toBe(false);
    expect(backend.requests).toHaveLength(1);
    // One Content-Length at most: the strict reader throws on two.
    expect(answer?.headers.filter(([name]) => name === 'content-length').length).toBeLessThanOrEqual(1);
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
    await expectStillServing(p);
  });
});
