import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, ingressYaml, waitFor } from './harness.js';
import {
  closeRawResources,
  connect,
  expectCleanAfterEarlyAnswer,
  header,
  probe as probeHost,
  proxyFixture,
  requestsFor,
  startRawBackend,
  text,
  values,
} from './raw.js';

// What a client sees when its request is malformed, hostile or unroutable, with exact bytes on
// raw sockets: smuggling vectors and bad heads are refused before anything reaches a backend,
// error pages keep the connection when they can, and the forwarding headers are the proxy's.

const app = 'app.example.com';
const raw = 'raw.example.com';
const table = compileTable(
  ingressYaml('pipeline-malformed', [
    { host: app, paths: [{ path: '/', service: 'app' }] },
    { host: raw, paths: [{ path: '/', service: 'raw' }] },
    { host: 'unmapped.example.com', paths: [{ path: '/', service: 'unmapped' }] },
  ]),
  'pipeline-malformed.yaml',
);
const { get } = requestsFor(app);

const fixture = proxyFixture(table);
const { seen } = fixture;
const start = fixture.start;

afterEach(async () => {
  await closeRawResources();
  await fixture.close();
});

const probe = (port: number): Promise<void> => probeHost(port, app);

const seenUrls = fixture.seenUrls;

describe('request smuggling and malformed heads', () => {
  it('refuses Content-Length with Transfer-Encoding: 400, and the backend sees nothing of it', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`POST /clte HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${app}\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/probe']);
  });

  // The 400 answers the malformed request, so it comes after the answers to the requests before
  // it; written in their place, the client would take it for the answer to its GET.
  it('answers a GET pipelined before a malformed request, then 400 and close', async () => {
    const p = await start();
    const client = connect(p.port);
    const attack = `POST /clte HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${app}\r\n\r\n`;
    await client.write(get('/first') + attack);
    const responses = await client.all();
    expect(responses.map((r) => [r.status, r.status === 200 ? text(r) : ''])).toEqual([
      [200, 'GET /first 0'],
      [400, ''],
    ]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/first', '/probe']);
  });

  it.each([
    ['two different Content-Length values', `POST /cl HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhello${get('/smuggled')}`],
    ['the same Content-Length twice', `POST /cl HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${get('/smuggled')}`],
    ['a signed Content-Length', `POST /cl HTTP/1.1\r\nHost: ${app}\r\nContent-Length: +5\r\n\r\nhello${get('/smuggled')}`],
    ['Transfer-Encoding with a space before the colon', `POST /te HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${get('/smuggled')}`],
    ['Transfer-Encoding: chunked, chunked', `POST /te HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n${get('/smuggled')}`],
    ['an obs-fold line', `GET /fold HTTP/1.1\r\nHost: ${app}\r\nX-Fold: a\r\n b\r\n\r\n${get('/smuggled')}`],
    ['an obs-fold Content-Length', `POST /fold HTTP/1.1\r\nHost: ${app}\r\nX-Fold: a\r\n Content-Length: 5\r\n\r\n${get('/smuggled')}`],
    ['a space before the colon', `GET /space HTTP/1.1\r\nHost : ${app}\r\n\r\n${get('/smuggled')}`],
    ['a NUL in a header value', `GET /nul HTTP/1.1\r\nHost: ${app}\r\nX-Nul: a\0b\r\n\r\n${get('/smuggled')}`],
    ['a bare CR in a header value', `GET /cr HTTP/1.1\r\nHost: ${app}\r\nX-Cr: a\rb\r\n\r\n${get('/smuggled')}`],
  ])('refuses %s: 400 and close, the backend sees no request', async (_name, attack) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(attack);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/probe']);
  });

  // A body whose framing turns out bad after the head: the backend may have seen the head, but
  // never a complete request, and never the request hidden behind it.
  it.each([
    ['a chunk size with a space after it', `POST /chunks HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n${get('/smuggled')}`],
    ['a chunk size that is not hex', `POST /chunks HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${get('/smuggled')}`],
    ['chunk data not followed by CRLF', `POST /chunks HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n${get('/smuggled')}`],
  ])('refuses a chunked body with %s: 400 or a cut connection, and nothing is smuggled', async (_name, attack) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(attack);
    const responses = await client.all();
    expect(responses.map((r) => r.status).filter((status) => status !== 400)).toEqual([]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/probe']);
  });

  it('answers a request without Host with 400 and close, the backend sees nothing', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /nohost HTTP/1.1\r\nX-Any: 1\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/probe']);
  });

  // Routing reads one Host; a backend that got two could pick the other one.
  it('passes one Host for a request with two, or refuses it', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /dup HTTP/1.1\r\nHost: ${app}\r\nHost: evil.example.com\r\n\r\n`);
    const [response] = await client.responses(1);
    if (response?.status === 200) {
      expect(seen).toHaveLength(1);
      expect(seen[0]?.rawHeaders.filter((_, i, all) => i % 2 === 0 && all[i]?.toLowerCase() === 'host')).toHaveLength(1);
      expect(seen[0]?.headers.host).toBe(app);
    } else {
      expect(response?.status).toBe(400);
      expect(seen).toEqual([]);
    }
  });

  it('answers a head larger than 16 KB with 431', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/big', `X-Big: ${'a'.repeat(20_000)}\r\n`));
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([431]);
    expect(seen).toEqual([]);
  });

  it('answers 431 once 16 KB arrived without the end of the head, without waiting for the rest', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /big HTTP/1.1\r\nHost: ${app}\r\nX-Big: ${'a'.repeat(17 * 1024)}`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([431]);
  });

  it.each([
    ['a TLS ClientHello', Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), randomBytes(32)])],
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')],
    ['a PROXY protocol line', Buffer.from('PROXY TCP4 192.0.2.1 192.0.2.2 56324 443\r\n')],
    ['a request with bare LF line endings', Buffer.from(`GET /lf HTTP/1.1\nHost: ${app}\n\n`)],
    ['a head ending in bare LFs', Buffer.from(`GET /lf HTTP/1.1\r\nHost: ${app}\n\n`)],
  ])('answers %s with 400 and closes, without waiting for more bytes', { timeout: 15_000 }, async (_name, bytes) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(bytes);
    const responses = await client.all({ timeoutMs: 10_000 });
    expect(responses.map((r) => r.status)).toEqual([400]);
    expect(seen).toEqual([]);
  });
});

// What reaches the backend is built from what the client sent: bytes that would end a line or
// hide a request in the backend's parser are refused at the door.
describe('request head injection', () => {
  it.each([
    ['a bare LF in a header value', `GET /v HTTP/1.1\r\nHost: ${app}\r\nX-A: a\nX-Injected: yes\r\n\r\n`],
    ['a CR before the CRLF of a header value', `GET /v HTTP/1.1\r\nHost: ${app}\r\nX-A: a\r\r\n\r\n`],
    ['a control character in a header value', `GET /v HTTP/1.1\r\nHost: ${app}\r\nX-A: a\x01b\r\n\r\n`],
    ['a DEL in a header value', `GET /v HTTP/1.1\r\nHost: ${app}\r\nX-A: a\x7fb\r\n\r\n`],
    ['a space in a header name', `GET /v HTTP/1.1\r\nHost: ${app}\r\nX A: 1\r\n\r\n`],
    ['a bare LF in the path', `GET /a\nb HTTP/1.1\r\nHost: ${app}\r\n\r\n`],
    ['a NUL in the path', `GET /a\0b HTTP/1.1\r\nHost: ${app}\r\n\r\n`],
    ['a space in the path', `GET /a HTTP/1.1 /b HTTP/1.1\r\nHost: ${app}\r\n\r\n`],
    ['a CR in the method', `GE\rT / HTTP/1.1\r\nHost: ${app}\r\n\r\n`],
    ['an unknown HTTP version', `GET / HTTP/1.2\r\nHost: ${app}\r\n\r\n`],
  ])('refuses %s: 400 and close, the backend sees nothing', async (_name, request) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(request);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seenUrls()).toEqual(['/probe']);
  });

  // llhttp reads `GET /a` followed by a line end as an HTTP/0.9 request line, and what follows
  // as header lines. Refusing it is fine; forwarding it is fine too, as long as the backend gets
  // a request of its own making, in which no line end of the client's survives.
  it('refuses a request line cut by a bare LF after the path, or forwards what the proxy read, re-written', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /a\nX-Injected: yes HTTP/1.1\r\nHost: ${app}\r\n\r\n`);
    const [response] = await client.responses(1);
    if (response?.status === 200) {
      expect(seen.map((s) => s.url)).toEqual(['/a']);
      expect(seen[0]?.headers['x-injected']).toBe('yes HTTP/1.1');
    } else {
      expect(response?.status).toBe(400);
      await probe(p.port);
      expect(seenUrls()).toEqual(['/probe']);
    }
  });
});

describe('error pages', () => {
  it('answers 404 for an unknown host and keeps the connection for the next request', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/', '', 'nope.example.com') + get('/ok'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([404, 200]);
    expect(header(responses[0], 'connection')).toBe('keep-alive');
    expect(header(responses[0], 'x-ingress-dev-error')).toBe('no-route');
    expect(text(responses[0])).toContain('nope.example.com');
    expect(text(responses[1])).toBe('GET /ok 0');
    await waitFor(() => p.events.length === 2);
    expect(p.events.map((e) => e.status).toSorted()).toEqual([200, 404]);
  });

  it('answers 503 for a Service mapped to nothing and keeps the connection', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/', '', 'unmapped.example.com') + get('/ok'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([503, 200]);
  });

  it('reads and drops the rest of a body after its 404, so the client sees the answer and no reset', async () => {
    const p = await start();
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`POST /upload HTTP/1.1\r\nHost: nope.example.com\r\nContent-Length: 500000\r\n\r\n${'b'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(404);
    await expectCleanAfterEarlyAnswer(client, 499_000, header(response, 'connection'), get('/after-404'));
  });

  it('answers HEAD with the error page headers and no body, and the connection stays usable', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`HEAD /x HTTP/1.1\r\nHost: nope.example.com\r\n\r\n${get('/after')}`);
    const responses = await client.responses(2, { methods: ['HEAD', 'GET'] });
    expect(responses.map((r) => r.status)).toEqual([404, 200]);
    expect(Number(header(responses[0], 'content-length'))).toBeGreaterThan(0);
    expect(responses[0]?.body.length).toBe(0);
    expect(text(responses[1])).toBe('GET /after 0');
  });

  it('answers JSON when the client accepts JSON', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/x', 'Accept: application/json\r\n', 'nope.example.com'));
    const [response] = await client.responses(1);
    expect(header(response, 'content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(text(response))).toMatchObject({ error: { status: 404, kind: 'no-route' } });
  });

  it('sends one Date header, whether the backend sent one or not, and on error pages', async () => {
    const backend = await startRawBackend((req) => req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/with-date') + get('/without-date', '', raw) + get('/x', '', 'nope.example.com'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404]);
    for (const response of responses) expect(values(response, 'date')).toHaveLength(1);
    expect(Number.isNaN(Date.parse(header(responses[1], 'date') ?? ''))).toBe(false);
  });
});

describe('forwarding headers', () => {
  it('generates an X-Request-ID (32 hex) when absent or invalid, and keeps a valid one', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/none') + get('/kept', 'X-Request-ID: trace-123\r\n') + get('/invalid', 'X-Request-ID: has space\r\n'));
    await client.responses(3);
    const idOf = (url: string): unknown => seen.find((s) => s.url === url)?.headers['x-request-id'];
    expect(idOf('/none')).toMatch(/^[0-9a-f]{32}$/);
    expect(idOf('/kept')).toBe('trace-123');
    expect(idOf('/invalid')).toMatch(/^[0-9a-f]{32}$/);
    expect(idOf('/invalid')).not.toBe(idOf('/none'));
    await waitFor(() => p.events.length === 3);
    expect(Object.fromEntries(p.events.map((e) => [e.path, e.id]))).toEqual({ '/none': idOf('/none'), '/kept': 'trace-123', '/invalid': idOf('/invalid') });
  });

  it('appends the client address to X-Forwarded-For and sets the other forwarding headers', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/xff', 'X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.1\r\nX-Real-IP: 6.6.6.6\r\n'));
    await client.responses(1);
    expect(seen[0]?.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 198.51.100.1, 127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-host': app,
      'x-forwarded-port': String(p.port),
      'x-forwarded-proto': 'http',
      host: app,
    });
  });

  it('forwards header values with obs-text bytes unchanged', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(Buffer.from(get('/latin', 'X-Latin: caf\xe9 \xff\r\n'), 'latin1'));
    await client.responses(1);
    const at = seen[0]?.rawHeaders.indexOf('X-Latin') ?? -1;
    expect(Buffer.from(seen[0]?.rawHeaders[at + 1] ?? '', 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]));
  });
});
