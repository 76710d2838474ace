import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, freePort, ingressYaml, waitFor } from './harness.js';
import {
  ask,
  closeRawResources,
  connect,
  expectCleanAfterEarlyAnswer,
  header,
  latin1,
  okResponse,
  parseResponses,
  probe,
  rawGet,
  rawHost,
  proxyFixture,
  startProxyTo,
  startRawBackend,
  streamingHandler,
  text,
  write,
  type Respond,
} from './raw.js';

// Backends that fail: malformed answers, connections that were closed while pooled, answers
// cut halfway, backends that hang. What the client gets (a 502 or 504 page before any byte of
// a response went out, a cut connection after) and that the proxy keeps serving.

afterEach(closeRawResources);

describe('malformed responses', { timeout: 30_000 }, () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  const cases: { name: string; response: string }[] = [
    { name: 'a status line without a status code', response: 'HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n' },
    { name: 'an HTTP/2 status line', response: 'HTTP/2 200\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a four-digit status', response: 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a status line that is not HTTP', response: 'SSH-2.0-OpenSSH_9.6\r\n\r\n' },
    { name: 'a header line without a colon', response: 'HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok' },
    { name: 'white space between a header name and the colon', response: 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok' },
    { name: 'an invalid character in a header name', response: 'HTTP/1.1 200 OK\r\nX-Bad(name): 1\r\nContent-Length: 0\r\n\r\n' },
    { name: 'an empty header name', response: 'HTTP/1.1 200 OK\r\n: empty\r\nContent-Length: 0\r\n\r\n' },
    { name: 'an obs-fold continuation line', response: 'HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n' },
    { name: 'an obs-fold line with a tab and a colon', response: 'HTTP/1.1 200 OK\r\nX-Folded: one\r\n\tx: two\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a bare LF in a header value', response: 'HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a NUL in a header value', response: 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a control character in a header value', response: 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n' },
    { name: 'a chunk size that is not hex', response: `${chunked}zz\r\nhello\r\n0\r\n\r\n` },
    { name: 'a chunk size with a 0x prefix', response: `${chunked}0x5\r\nhello\r\n0\r\n\r\n` },
    { name: 'a negative chunk size', response: `${chunked}-5\r\nhello\r\n0\r\n\r\n` },
    { name: 'an empty chunk size line', response: `${chunked}\r\nhello\r\n0\r\n\r\n` },
    { name: 'two different Content-Length values', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!' },
    { name: 'a Content-Length that is not a number', response: 'HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok' },
    { name: 'a negative Content-Length', response: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok' },
    { name: 'a Content-Length list of different values', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok' },
    { name: 'a head over 64 KB', response: `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(64 * 1024 + 10)}\r\nContent-Length: 0\r\n\r\n` },
    { name: 'a head over 64 KB that never ends', response: `HTTP/1.1 200 OK\r\n${'X-Line: y\r\n'.repeat(8_000)}` },
  ];

  // A long read timeout, so a parser that waits for more shows as a 504, not as the 502 of one
  // that failed. Before a byte of the response went out, the client gets the error page.
  it.each(cases)('answers 502 at once for $name, and closes the backend connection', async ({ response }) => {
    const backend = await startRawBackend((req) => req.socket.write(latin1(response)));
    const p = await startProxyTo(backend.port, { readTimeoutMs: 10_000 });
    const answer = await ask(p.port, rawGet('/'), { timeoutMs: 20_000 });
    expect(answer.response?.status).toBe(502);
    expect(header(answer.response, 'x-ingress-dev-error')).toBeDefined();
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
    // The client connection survives the error page.
    expect(answer.client.closed).toBe(false);
    const next = await answer.client.request(rawGet('/again'), { timeoutMs: 20_000 });
    expect(next?.status).toBe(502);
  });

  // Once body bytes went out, a status can no longer be changed: the client connection is cut,
  // and the client can tell by its own framing that the response is incomplete.
  it.each([
    ['chunk data not followed by CRLF', `${chunked}5\r\nhelloXX0\r\n\r\n`],
    ['chunk data followed by LF only', `${chunked}5\r\nhello\n0\r\n\r\n`],
  ])('cuts the client connection on %s after the first chunk, and closes the backend connection', async (_name, response) => {
    const backend = await startRawBackend((req) => req.socket.write(latin1(response)));
    const p = await startProxyTo(backend.port, { readTimeoutMs: 10_000 });
    const answer = await ask(p.port, rawGet('/'), { timeoutMs: 20_000 });
    expect(answer.client.closed).toBe(true);
    if (answer.response !== undefined) expect(answer.response.status).toBe(502);
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]?.error).not.toBeNull();
  });

  it('relays a response head of 8 KB', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('ok', `X-Pad: ${'p'.repeat(8 * 1024)}\r\n`)));
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect([response?.status, text(response), header(response, 'x-pad')?.length]).toEqual([200, 'ok', 8 * 1024]);
  });
});

describe('stale pooled connections', { timeout: 20_000 }, () => {
  /** Answers the first request on each connection; closes a connection on its second. */
  function closingOnSecondRequest(close: (req: Parameters<Respond>[0]) => void): Respond {
    return (req) => {
      if (req.index === 0) req.socket.write(okResponse(`from connection ${req.connection}`));
      else close(req);
    };
  }

  it('retries a GET once, on a new connection, when the backend closed the pooled one as the request went out', async () => {
    const backend = await startRawBackend(closingOnSecondRequest((req) => req.socket.destroy()));
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('from connection 0');
    const { response } = await ask(p.port, rawGet('/2'));
    expect([response?.status, text(response)]).toEqual([200, 'from connection 1']);
    expect(backend.requests.map((req) => [req.connection, req.index])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('retries a GET after a reset of the pooled connection', async () => {
    const backend = await startRawBackend(closingOnSecondRequest((req) => req.socket.resetAndDestroy()));
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('from connection 0');
    const { response } = await ask(p.port, rawGet('/2'));
    expect([response?.status, text(response)]).toEqual([200, 'from connection 1']);
    expect(backend.sockets).toHaveLength(2);
  });

  it.each([
    ['HEAD', true],
    ['OPTIONS', true],
    ['PUT', true],
    ['DELETE', true],
    ['POST', false],
    ['PATCH', false],
  ])('retries a bodiless %s: %s', async (method, retried) => {
    const backend = await startRawBackend(closingOnSecondRequest((req) => req.socket.destroy()));
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('from connection 0');
    const { response } = await ask(p.port, rawGet('/2', '', method), { method });
    if (retried) {
      expect(response?.status).toBe(200);
      expect(backend.sockets).toHaveLength(2);
    } else {
      expect(response?.status).toBe(502);
      expect(backend.sockets).toHaveLength(1);
    }
  });

  it('does not retry a request with a body, even an idempotent one', async () => {
    const backend = await startRawBackend(closingOnSecondRequest((req) => req.socket.destroy()));
    const p = await startProxyTo(backend.port);
    for (const method of ['POST', 'PUT']) {
      // A pooled connection to meet: a fresh one answers the warm-up, then the body goes out on it.
      expect(text((await ask(p.port, rawGet('/warm'))).response)).toMatch(/^from connection/);
      const { response } = await ask(p.port, `${method} /2 HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: 4\r\n\r\ndata`, { method });
      expect(response?.status).toBe(502);
    }
    // Each request with a body went out once, on the stale connection only.
    expect(backend.requests.filter((req) => req.body.toString() === 'data')).toHaveLength(2);
    expect(backend.sockets).toHaveLength(2);
  });

  it('retries on a new connection, not on another pooled one that may be stale too', async () => {
    let release: () => void = () => {};
    const bothArrived = new Promise<void>((resolve) => (release = resolve));
    const backend = await startRawBackend(async (req) => {
      if (req.index === 0) {
        // Hold the first two until both arrived: two pooled connections, one request answered on each.
        if (backend.requests.length >= 2) release();
        await bothArrived;
        req.socket.write(okResponse(`from connection ${req.connection}`));
      } else req.socket.destroy();
    });
    const p = await startProxyTo(backend.port);
    await Promise.all([ask(p.port, rawGet('/a')), ask(p.port, rawGet('/b'))]);
    expect(backend.sockets).toHaveLength(2);
    const { response } = await ask(p.port, rawGet('/2'));
    expect([response?.status, text(response)]).toEqual([200, 'from connection 2']);
    // One request went out on a stale connection; the retry went to a third one.
    expect(backend.requests.filter((req) => req.index === 1)).toHaveLength(1);
    expect(backend.sockets).toHaveLength(3);
  });

  it('retries only once: a fresh connection that fails too gives 502', async () => {
    const backend = await startRawBackend((req) => {
      if (req.connection === 0 && req.index === 0) req.socket.write(okResponse('first'));
      else req.socket.destroy();
    });
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('first');
    const { response } = await ask(p.port, rawGet('/2'));
    expect(response?.status).toBe(502);
    expect(backend.sockets).toHaveLength(2);
  });

  it('does not retry a request the backend had started answering: the client sees the answer cut', async () => {
    const backend = await startRawBackend((req) => {
      if (req.index === 0) req.socket.write(okResponse('first'));
      else req.socket.end(latin1('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
    });
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('first');
    const { response, client } = await ask(p.port, rawGet('/2'));
    expect(response).toBeUndefined();
    expect(client.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.data.includes('part')).toBe(true);
    expect(backend.sockets).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Failures seen by a client: with a node:http backend recording what it served on `app`.

const app = 'app.example.com';
const table = compileTable(
  ingressYaml('pipeline-failures', [
    { host: app, paths: [{ path: '/', service: 'app' }] },
    { host: rawHost, paths: [{ path: '/', service: 'raw' }] },
    { host: 'down.example.com', paths: [{ path: '/', service: 'down' }] },
  ]),
  'pipeline-failures.yaml',
);

describe('failures seen by the client', { timeout: 20_000 }, () => {
  const fixture = proxyFixture(table);
  const { seen } = fixture;
  const start = fixture.start;
  afterEach(() => fixture.close());
  const get = (path: string, host = app): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

  it('answers 502 when the backend refuses, and keeps the connection', async () => {
    const port = await freePort();
    const p = await start({ map: { down: port } });
    const client = connect(p.port);
    await client.write(get('/x', 'down.example.com') + get('/after'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([502, 200]);
    expect(header(responses[0], 'x-ingress-dev-error')).toBe('refused');
    expect(header(responses[0], 'connection')).toBe('keep-alive');
    await waitFor(() => p.events.length === 2);
    expect(p.events.find((e) => e.status === 502)?.error).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('answers 502 to a request whose body is still coming, and stays clean while the client sends the rest', async () => {
    const port = await freePort();
    const p = await start({ map: { down: port } });
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`PUT /x HTTP/1.1\r\nHost: down.example.com\r\nContent-Length: 200000\r\n\r\n${'u'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(502);
    await expectCleanAfterEarlyAnswer(client, 199_000, header(response, 'connection'), get('/after'));
    await probe(p.port, app);
  });

  it('answers 502 when the backend closes in the middle of the head', async () => {
    const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nContent-Le')));
    const p = await start({ map: { raw: backend.port } });
    const { response } = await ask(p.port, get('/', rawHost));
    expect(response?.status).toBe(502);
  });

  it.each([
    ['resets during a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', true],
    ['closes during a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', false],
    ['resets during a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n', true],
    ['closes during a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n', false],
  ])('cuts the client connection when the backend %s after the head went out', async (_name, partial, reset) => {
    const backend = await startRawBackend((req) => req.socket.write(partial));
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/partial', rawHost));
    await waitFor(() => client.data.includes('0123456789'), 5000, 'the partial body');
    const socket = backend.sockets[0];
    if (reset) socket?.resetAndDestroy();
    else socket?.end();
    await client.waitClosed();
    expect(client.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // The client can tell: the response is incomplete by its own framing.
    expect(parseResponses(client.data, [], false)).toEqual([]);
    expect(client.data.includes('0\r\n\r\n')).toBe(false);
    await waitFor(() => p.events.length >= 1);
    expect(p.events[0]?.status).toBe(200);
    expect(p.events[0]?.error).not.toBeNull();
    await probe(p.port, app);
    expect(p.events).toHaveLength(2);
  });

  // node's server forwards pipelined requests as it parses them, so the backend may see the
  // second one; the client must not get an answer on the connection whose response was cut.
  it('answers nothing more on a connection whose response it had to cut', async () => {
    const backend = await startRawBackend((req) => {
      if (req.head.startsWith('GET /partial')) req.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      else req.socket.write(okResponse('never'));
    });
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/partial', rawHost) + get('/never', rawHost));
    await client.waitClosed();
    expect(client.data.toString('latin1')).not.toContain('never');
    await probe(p.port, app);
  });

  it('releases the upstream connection when the client disconnects mid-response', async () => {
    let backendSawClose = false;
    const p = await start({ handler: streamingHandler(seen, () => (backendSawClose = true)) });
    const client = connect(p.port);
    await client.write(get('/stream'));
    await waitFor(() => client.data.length > 100_000, 5000, 'the stream to flow');
    client.socket.destroy();
    await waitFor(() => backendSawClose, 5000, 'the backend to see the close');
    await waitFor(() => p.events.length >= 1);
    expect(p.events[0]).toMatchObject({ path: '/stream', status: 499 });
    await probe(p.port, app);
    expect(p.events).toHaveLength(2);
  });
});

describe('timeouts', { timeout: 20_000 }, () => {
  it('answers 504 when the backend never answers, and closes the backend connection', async () => {
    const backend = await startRawBackend(() => {});
    const p = await startProxyTo(backend.port, { readTimeoutMs: 200 });
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(504);
    expect(header(response, 'x-ingress-dev-error')).toBe('read-timeout');
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
  });

  it.each([
    ['waiting for the final head after a 103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'],
    ['in a half-sent head', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n'],
  ])('answers 504 when the backend stalls %s', async (_what, sent) => {
    const backend = await startRawBackend((req) => req.socket.write(sent));
    const p = await startProxyTo(backend.port, { readTimeoutMs: 200 });
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(504);
  });

  it.each([
    ['a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'],
    ['a chunked body between chunks', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n'],
    ['a close-delimited body', 'HTTP/1.1 200 OK\r\n\r\npart'],
  ])('cuts the client connection when %s stalls past the read timeout, and closes the backend connection', async (_what, sent) => {
    const backend = await startRawBackend((req) => req.socket.write(sent));
    const p = await startProxyTo(backend.port, { readTimeoutMs: 200 });
    const client = connect(p.port);
    await client.write(rawGet('/'));
    await client.waitClosed();
    expect(client.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(parseResponses(client.data, [], false)).toEqual([]);
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]?.error).not.toBeNull();
  });

  it('answers 504 when the backend does not read the request body', async () => {
    const backend = await startRawBackend(() => {}, { onConnection: (socket) => socket.pause() });
    const p = await startProxyTo(backend.port, { sendTimeoutMs: 200, readTimeoutMs: 60_000 });
    const client = connect(p.port);
    const total = 1024 * 1024 * 1024;
    await client.write(`POST /upload HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: ${total}\r\n\r\n`);
    // Keep sending while the socket takes it: the proxy stalls on the backend, not on the client.
    const piece = Buffer.alloc(64 * 1024, 'u');
    let sent = 0;
    const pump = (): void => {
      while (!client.closed && sent < total && client.socket.write(piece)) sent += piece.length;
    };
    client.socket.on('drain', pump);
    pump();
    const [response] = await client.responses(1, { timeoutMs: 10_000 });
    expect(response?.status).toBe(504);
    expect(header(response, 'x-ingress-dev-error')).toBe('send-timeout');
    expect(sent).toBeLessThan(total);
  });

  it('answers 504 when a TLS backend never answers the handshake', async () => {
    const backend = await startRawBackend(() => {});
    const p = await startProxyTo(`https://127.0.0.1:${backend.port}`, { connectTimeoutMs: 200 });
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(504);
    expect(header(response, 'x-ingress-dev-error')).toBe('connect-timeout');
  });

  it('answers 502 when an https:// backend speaks plain HTTP', async () => {
    // As node's HTTP server does: a 400 to the ClientHello, then the close.
    const backend = await startRawBackend(() => {}, { onConnection: (socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')) });
    const p = await startProxyTo(`https://127.0.0.1:${backend.port}`);
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(502);
  });

  // The proxy stops reading the backend while the client does not read; that silence is the
  // client's, and must not count against the backend's read timeout.
  it('does not time out a backend while the client does not read, and relays the whole body once it does', async () => {
    const size = 32 * 1024 * 1024;
    let backendStalled = false;
    const backend = await startRawBackend(async (req) => {
      req.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      // Longer than three read timeouts without progress: the backend's own idle timer says when.
      req.socket.setTimeout(1000);
      req.socket.once('timeout', () => (backendStalled = true));
      const piece = Buffer.alloc(1024 * 1024, 'd');
      for (let at = 0; at < size; at += piece.length) await write(req.socket, piece);
      req.socket.setTimeout(0);
    });
    const p = await startProxyTo(backend.port, { readTimeoutMs: 300 });
    const client = connect(p.port);
    let received = 0;
    client.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    client.socket.pause();
    await client.write(rawGet('/big'));
    await waitFor(() => backendStalled || backend.closed[0] === true, 10_000, 'the backend to stall on backpressure');
    expect(backend.closed[0]).toBe(false);
    client.socket.resume();
    await waitFor(() => received > size || client.closed, 15_000, 'the whole body');
    const [response] = client.parsed();
    expect(response?.status).toBe(200);
    expect(response?.body.length).toBe(size);
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]?.error).toBeNull();
  });
});
