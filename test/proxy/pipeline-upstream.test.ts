import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from './harness.js';
import {
  ask,
  closeRawResources,
  connect,
  dechunkBody,
  header,
  headValue,
  latin1,
  okResponse,
  rawGet,
  rawHost,
  reason,
  startProxyTo,
  startRawBackend,
  text,
  twoTurns,
  values,
  write,
  writeInPieces,
} from './raw.js';

// What a client gets from backends that frame their answers in every way HTTP/1.1 allows,
// through the proxy: raw backends write exact response bytes (split where the test says), and
// the client reads the proxy's answer with a strict reader. Also how the proxy keeps, reuses
// and drops its connections to backends, as a backend sees it.

afterEach(closeRawResources);

describe('response bodies', { timeout: 20_000 }, () => {
  it('relays Content-Length bodies over one kept-alive backend connection', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse(`hello ${req.index}`, 'X-Thing: one\r\n')));
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 20; i++) {
      const { response } = await ask(p.port, rawGet(`/n${i}`));
      expect([response?.status, text(response), header(response, 'x-thing')]).toEqual([200, `hello ${i}`, 'one']);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('passes the status code, the reason phrase and the headers through, duplicates kept', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(latin1('HTTP/1.1 299 Something  Odd\r\nset-cookie: a=1\r\nSet-Cookie:b=2\r\nX-Spaces: \t padded \t\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n')),
    );
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(299);
    expect(reason(response)).toBe('Something  Odd');
    expect(values(response, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(values(response, 'x-spaces')).toEqual(['padded']);
    expect(values(response, 'x-empty')).toEqual(['']);
  });

  it('relays a status line without a reason phrase', async () => {
    const backend = await startRawBackend((req) => req.socket.write(latin1('HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok')));
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect([response?.status, text(response)]).toEqual([200, 'ok']);
  });

  it('relays Content-Length: 0 at once and keeps the backend connection', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('')));
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 3; i++) {
      const { response } = await ask(p.port, rawGet('/'));
      expect([response?.status, text(response)]).toEqual([200, '']);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays a large Content-Length body (8 MB) intact', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const backend = await startRawBackend((req) => {
      req.socket.write(latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
      req.socket.write(body);
    });
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'), { timeoutMs: 15_000 });
    expect(response?.body.equals(body)).toBe(true);
  });

  // Trailers are dropped, as ingress-nginx drops them; the strict reader fails on any it gets.
  it('relays a chunked body with extensions, upper-case and zero-padded sizes and trailers, and keeps the backend connection', async () => {
    const response =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '1;a;b="quoted;value"\r\n \r\n' +
      '00A\r\nwonderful \r\n' +
      '5\r\nworld\r\n' +
      '0;last=1\r\nX-Trailer: t\r\nX-Other: o\r\n\r\n';
    const backend = await startRawBackend((req) => req.socket.write(latin1(response)));
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 2; i++) {
      const answer = await ask(p.port, rawGet('/'));
      expect(text(answer.response)).toBe('hello wonderful world');
      expect(values(answer.response, 'x-trailer')).toEqual([]);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays an empty chunked body, with and without trailers', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(latin1(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${req.index === 0 ? '0\r\n\r\n' : '0\r\nX-T: 1\r\n\r\n'}`)),
    );
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 2; i++) {
      const { response } = await ask(p.port, rawGet('/'));
      expect([response?.status, text(response)]).toEqual([200, '']);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays a chunked response split at every byte boundary, over one backend connection', { timeout: 60_000 }, async () => {
    const response = latin1(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n00A\r\nwonderful \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n',
    );
    let cut = 0;
    const backend = await startRawBackend((req) => writeInPieces(req.socket, response, [cut]));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    for (cut = 1; cut < response.length; cut++) {
      expect(text(await client.request(rawGet(`/cut/${cut}`))), `cut at ${cut}`).toBe('hello wonderful world');
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays a Content-Length response split at every byte boundary, over one backend connection', { timeout: 60_000 }, async () => {
    const response = okResponse('hello world', 'X-A: 1\r\n');
    let cut = 0;
    const backend = await startRawBackend((req) => writeInPieces(req.socket, response, [cut]));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    for (cut = 1; cut < response.length; cut++) {
      expect(text(await client.request(rawGet(`/cut/${cut}`))), `cut at ${cut}`).toBe('hello world');
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('reassembles random bodies, chunked at random and delivered in random pieces', { timeout: 60_000 }, async () => {
    const queued: { data: Buffer; cuts: number[] }[] = [];
    const backend = await startRawBackend((req) => {
      const next = queued.shift();
      if (next === undefined) throw new Error('no response queued');
      return writeInPieces(req.socket, next.data, next.cuts);
    });
    const p = await startProxyTo(backend.port);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        async (body, sizes, cutSeeds, extensions, trailers) => {
          let encoded = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
          const bodyText = Buffer.from(body).toString('latin1');
          for (let at = 0, i = 0; at < body.length; i++) {
            const size = Math.min(sizes[i % sizes.length] ?? 1, body.length - at);
            const hex = i % 2 === 0 ? size.toString(16) : size.toString(16).toUpperCase();
            encoded += `${hex}${extensions ? `;i=${i}` : ''}\r\n${bodyText.slice(at, at + size)}\r\n`;
            at += size;
          }
          encoded += `0\r\n${trailers ? 'X-Sum: 1\r\n' : ''}\r\n`;
          const data = latin1(encoded);
          queued.push({ data, cuts: cutSeeds.map((seed) => seed % data.length) });
          const { response } = await ask(p.port, rawGet('/random'));
          expect(response?.body.equals(Buffer.from(body))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays chunked responses from node:http, small and large, over one backend connection, and re-chunks them for the client', async () => {
    const large = Buffer.alloc(3 * 1024 * 1024, 'z');
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/large') {
        res.write('a');
        for (let at = 0; at < large.length; at += 100_000) res.write(large.subarray(at, at + 100_000));
        setImmediate(() => res.end('c'));
      } else {
        res.write('one ');
        res.end('two');
      }
    });
    try {
      const p = await startProxyTo(upstream.port);
      const client = connect(p.port);
      const small = await client.request(rawGet('/small'));
      const big = await client.request(rawGet('/large'), { timeoutMs: 15_000 });
      const again = await client.request(rawGet('/small'));
      expect([small?.chunked, big?.chunked, again?.chunked]).toEqual([true, true, true]);
      expect(text(small)).toBe('one two');
      expect(big?.body.equals(Buffer.concat([Buffer.from('a'), large, Buffer.from('c')]))).toBe(true);
      expect(text(again)).toBe('one two');
      expect(upstream.connections).toBe(1);
    } finally {
      await upstream.close();
    }
  });

  it.each([
    ['an HTTP/1.1 response delimited by the close', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\nuntil the close'],
    ['an HTTP/1.0 response', 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close'],
  ])('relays %s on chunked, keeps the client connection, and opens a new backend connection next time', async (_name, response) => {
    const backend = await startRawBackend(async (req) => {
      const bytes = latin1(response);
      await write(req.socket, bytes.subarray(0, bytes.length - 5));
      await twoTurns();
      req.socket.end(bytes.subarray(bytes.length - 5));
    });
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    const responses = [await client.request(rawGet('/1')), await client.request(rawGet('/2'))];
    expect(responses.map((r) => [r?.status, r?.chunked, text(r), header(r, 'connection')])).toEqual([
      [200, true, 'until the close', 'keep-alive'],
      [200, true, 'until the close', 'keep-alive'],
    ]);
    expect(client.closed).toBe(false);
    expect(backend.sockets).toHaveLength(2);
  });

  it('reads a body whose last transfer coding is not chunked until the close', async () => {
    const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n5\r\nnot a chunk\r\n0\r\n\r\n')));
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect([response?.status, text(response)]).toEqual([200, '5\r\nnot a chunk\r\n0\r\n\r\n']);
  });

  // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length, such a message "ought to
  // be handled as an error", and an intermediary that forwards it must drop the Content-Length.
  // Passing both on, or the length with the de-chunked body, desynchronises the client.
  it('answers a backend that sends Content-Length and Transfer-Encoding with 502 or the de-chunked body, never both headers', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(
        req.index === 0 && req.connection === 0 ? latin1('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n') : okResponse('next'),
      ),
    );
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    await client.write(rawGet('/te-cl'));
    const [first] = await client.responses(1);
    if (first?.status === 200) expect(text(first)).toBe('0123456789');
    else expect(first?.status).toBe(502);
    const next = await ask(p.port, rawGet('/next'));
    expect(text(next.response)).toBe('next');
    // The connection that carried it is not trusted again.
    expect(backend.sockets).toHaveLength(2);
  });
});

describe('interim and bodiless responses', { timeout: 20_000 }, () => {
  // RFC 9110 section 15.2: a client must parse 1xx responses it did not expect. The client may
  // get them relayed; what counts is that the final response is the backend's.
  it('relays the final response after 102 Processing and 103 Early Hints in one packet', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(latin1('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')),
    );
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 2; i++) {
      const { response, interim } = await ask(p.port, rawGet('/'));
      expect([response?.status, text(response)]).toEqual([200, 'ok']);
      expect(interim.map((r) => r.status).filter((status) => status !== 102 && status !== 103)).toEqual([]);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  it('relays the final response after interim responses that arrive in separate packets', async () => {
    const backend = await startRawBackend(async (req) => {
      await write(req.socket, 'HTTP/1.1 102 Processing\r\n\r\n');
      await twoTurns();
      await write(req.socket, 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
      await twoTurns();
      await write(req.socket, okResponse('done'));
    });
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect([response?.status, text(response)]).toEqual([200, 'done']);
  });

  it('relays interim responses, a chunked body and trailers written one byte at a time', { timeout: 30_000 }, async () => {
    const response = latin1(
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
        'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n',
    );
    const backend = await startRawBackend((req) => writeInPieces(req.socket, response, Array.from({ length: response.length }, (_, i) => i)));
    const p = await startProxyTo(backend.port);
    for (let i = 0; i < 2; i++) {
      const answer = await ask(p.port, rawGet('/'), { timeoutMs: 10_000 });
      expect([answer.response?.status, text(answer.response)]).toEqual([201, 'abcde']);
    }
    expect(backend.sockets).toHaveLength(1);
  });

  // Some broken servers send 100 Continue to requests that sent no Expect (jetty/jetty.project#1878);
  // RFC 9110 section 15.2 says a client should then skip it. The proxy never sends Expect (node
  // answers it to the client itself), and undici refuses a 100 it did not ask for: a known
  // limitation (README, "What the proxy does"), pinned here as an immediate 502 that says why,
  // never a hang, a retry or a crash. 102 and 103 are skipped (above).
  it('answers 502 (bad-response) to a 100 Continue nobody asked for, at once', async () => {
    const backend = await startRawBackend(async (req) => {
      await write(req.socket, 'HTTP/1.1 100 Continue\r\n\r\n');
      await twoTurns();
      await write(req.socket, okResponse('after continue'));
    });
    const p = await startProxyTo(backend.port, { readTimeoutMs: 30_000 });
    const post = `POST /form HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: 4\r\n\r\ndata`;
    const { response } = await ask(p.port, post, { method: 'POST' });
    expect([response?.status, header(response, 'x-ingress-dev-error')]).toEqual([502, 'bad-response']);
    expect(text(response)).toContain('100 Continue nobody asked for');
    expect(backend.requests).toHaveLength(1);
  });

  it('answers 502 to a 101 Switching Protocols for a request that asked for no upgrade', async () => {
    const backend = await startRawBackend((req) => req.socket.write(latin1('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')));
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect(response?.status).toBe(502);
    await waitFor(() => backend.closed[0] === true, 5000, 'the backend connection to close');
  });

  // undici closes a backend connection after a HEAD (a backend may send a body it should not,
  // nodejs/undici#258): what the next request gets is what counts.
  it('relays HEAD answers with their Content-Length or chunked head and no body, and the requests after them', async () => {
    const backend = await startRawBackend((req) => {
      if (req.head.startsWith('HEAD /length')) req.socket.write(latin1('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'));
      else if (req.head.startsWith('HEAD /chunked')) req.socket.write(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
      else req.socket.write(okResponse('after'));
    });
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    const responses = [
      await client.request(rawGet('/length', '', 'HEAD'), { method: 'HEAD' }),
      await client.request(rawGet('/next')),
      await client.request(rawGet('/chunked', '', 'HEAD'), { method: 'HEAD' }),
      await client.request(rawGet('/next')),
    ];
    expect(responses.map((r) => [r?.status, text(r)])).toEqual([
      [200, ''],
      [200, 'after'],
      [200, ''],
      [200, 'after'],
    ]);
    expect(header(responses[0], 'content-length')).toBe('1234');
    expect(values(responses[0], 'transfer-encoding')).toEqual([]);
    // The client's parser would take anything after a HEAD answer as the next response.
    expect(client.data.length).toBe(responses[3]?.end);
  });

  it('relays 204 and 304 without a body or framing, and reuses the backend connection', async () => {
    const answers = ['HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'];
    const backend = await startRawBackend((req) => req.socket.write(latin1(answers[req.index] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast')));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    const responses = [];
    for (let i = 0; i < answers.length + 1; i++) responses.push(await client.request(rawGet(`/r${i}`, 'If-None-Match: "x"\r\n')));
    expect(responses.map((r) => [r?.status, text(r)])).toEqual([
      [204, ''],
      [204, ''],
      [304, ''],
      [200, 'last'],
    ]);
    for (const response of responses.slice(0, 3)) expect(values(response, 'transfer-encoding')).toEqual([]);
    expect(header(responses[2], 'etag')).toBe('"x"');
    expect(client.data.length).toBe(responses[3]?.end);
    expect(backend.sockets).toHaveLength(1);
  });

  // RFC 9110 section 8.6: a 304 to a conditional GET may carry the Content-Length of the
  // representation it stands for; it has no body all the same.
  // RFC 9110 section 8.6: a 304 may carry the Content-Length the full response would have had
  // (ASP.NET, tornado and cowboy send it); the response still has no content. undici counts it
  // as a length mismatch and closes that backend connection; the client gets the 304 all the same.
  it('relays a 304 that carries the Content-Length of the representation, and goes on serving', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(latin1(req.head.includes('/cached') ? 'HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: "x"\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext')),
    );
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    const notModified = await client.request(rawGet('/cached', 'If-None-Match: "x"\r\n'));
    expect([notModified?.status, text(notModified), header(notModified, 'etag'), header(notModified, 'content-length')]).toEqual([304, '', '"x"', '1234']);
    expect(text(await client.request(rawGet('/next')))).toBe('next');
    expect(p.events.map((event) => [event.status, event.error])).toEqual([[304, null], [200, null]]);
  });
});

describe('backend connections', { timeout: 20_000 }, () => {
  it('opens one connection per concurrent request, one request at a time on each, and reuses them afterwards', async () => {
    let round = 0;
    const backend = await startRawBackend((req) => {
      // Hold each round until all five arrived, so none could have reused another's connection.
      const inRound = backend.requests.filter((r) => r.head.includes(`/round${round}/`));
      if (inRound.length === 5) for (const r of inRound) r.socket.write(okResponse(`${round}`));
      return req;
    });
    const p = await startProxyTo(backend.port);
    for (round = 0; round < 2; round++) {
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(p.port, rawGet(`/round${round}/${i}`))));
      expect(answers.map((a) => text(a.response))).toEqual(Array.from({ length: 5 }, () => `${round}`));
    }
    expect(backend.sockets).toHaveLength(5);
    expect(backend.requests.map((r) => r.index).toSorted()).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it("closes the backend connection after the backend's Connection: close, and opens a new one", async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('bye', 'Connection: close\r\n')));
    const p = await startProxyTo(backend.port);
    const { response } = await ask(p.port, rawGet('/'));
    expect(text(response)).toBe('bye');
    expect(header(response, 'connection')).toBe('keep-alive');
    // The backend keeps its side open: the proxy closes.
    await waitFor(() => backend.closedByClient[0] === true, 5000, 'the proxy to close');
    expect(text((await ask(p.port, rawGet('/'))).response)).toBe('bye');
    expect(backend.sockets).toHaveLength(2);
  });

  it('does not reuse a connection after an HTTP/1.0 response without keep-alive, and reuses one with Connection: keep-alive', async () => {
    const backend = await startRawBackend((req) =>
      req.socket.write(latin1(req.head.startsWith('GET /ka') ? 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nka' : 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')),
    );
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/plain'))).response)).toBe('ok');
    await waitFor(() => backend.closed[0] === true, 5000, 'the HTTP/1.0 connection to close');
    for (let i = 0; i < 2; i++) expect(text((await ask(p.port, rawGet('/ka'))).response)).toBe('ka');
    expect(backend.sockets).toHaveLength(2);
  });

  it('does not keep a connection whose Keep-Alive timeout leaves no margin (timeout=1)', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('ok', 'Keep-Alive: timeout=1\r\n')));
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/'))).response)).toBe('ok');
    expect(text((await ask(p.port, rawGet('/'))).response)).toBe('ok');
    expect(backend.sockets).toHaveLength(2);
  });

  it('closes an idle connection before the backend does, going by its Keep-Alive: timeout=2', async () => {
    // The backend closes after 2 s of idleness, as it announced; the proxy must close first.
    const backend = await startRawBackend((req) => req.socket.write(okResponse('ok', 'Keep-Alive: timeout=2, max=100\r\n')), {
      onConnection: (socket) => {
        socket.setTimeout(2_000);
        socket.on('timeout', () => socket.end());
      },
    });
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/'))).response)).toBe('ok');
    await waitFor(() => backend.closed[0] === true, 10_000, 'the idle connection to close');
    expect(backend.closedByClient[0]).toBe(true);
  });

  // A long keep-alive time in these responses, so that the idle timer does not close the connection first.
  const keepLong = 'Keep-Alive: timeout=60\r\n';

  it('does not reuse a connection with bytes after a complete response', async () => {
    const backend = await startRawBackend((req) => req.socket.write(Buffer.concat([okResponse('ok', keepLong), latin1('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil')])));
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('ok');
    expect(text((await ask(p.port, rawGet('/2'))).response)).toBe('ok');
    expect(backend.sockets).toHaveLength(2);
  });

  it('drops an idle connection on which the backend sends anything', async () => {
    const backend = await startRawBackend(async (req) => {
      await write(req.socket, okResponse('ok', keepLong));
      if (req.connection === 0) {
        await twoTurns();
        await write(req.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate');
      }
    });
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('ok');
    await waitFor(() => backend.closed[0] === true, 5000, 'the connection to be dropped');
    expect(text((await ask(p.port, rawGet('/2'))).response)).toBe('ok');
    expect(backend.sockets).toHaveLength(2);
  });

  it('forgets an idle connection the backend closed, and opens a new one', async () => {
    const backend = await startRawBackend(async (req) => {
      await write(req.socket, okResponse(`conn ${req.connection}`, keepLong));
      req.socket.end();
    });
    const p = await startProxyTo(backend.port);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('conn 0');
    await waitFor(() => backend.closed[0] === true, 5000, 'the closed connection to be let go');
    expect(text((await ask(p.port, rawGet('/2'))).response)).toBe('conn 1');
  });
});

describe('TLS backends', { timeout: 20_000 }, () => {
  it('keeps one TLS connection for sequential requests to a node:https backend, bodies included', async () => {
    const upstream = await startUpstream(
      (req, res) => {
        const hash = createHash('sha256');
        const parts: Buffer[] = [];
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          parts.push(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, text: Buffer.concat(parts).toString() })));
      },
      { tls: true },
    );
    try {
      const p = await startProxyTo(`https://127.0.0.1:${upstream.port}`);
      for (let i = 0; i < 3; i++) {
        const { response } = await ask(p.port, rawGet(`/tls?i=${i}`));
        expect(JSON.parse(text(response))).toEqual({ method: 'GET', url: `/tls?i=${i}`, host: rawHost, text: '' });
      }
      const post = await ask(p.port, `POST /tls HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: 8\r\n\r\nover tls`, { method: 'POST' });
      expect(JSON.parse(text(post.response))).toMatchObject({ method: 'POST', text: 'over tls' });
      expect(upstream.connections).toBe(1);
    } finally {
      await upstream.close();
    }
  });

  it('relays a chunked response written one byte at a time, and a close-delimited one, over TLS', async () => {
    const chunked = latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n');
    const backend = await startRawBackend(
      async (req) => {
        if (req.index === 0) await writeInPieces(req.socket, chunked, Array.from({ length: chunked.length }, (_, i) => i));
        else req.socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      },
      { tls: true },
    );
    const p = await startProxyTo(`https://127.0.0.1:${backend.port}`);
    expect(text((await ask(p.port, rawGet('/1'))).response)).toBe('hello');
    expect(text((await ask(p.port, rawGet('/2'))).response)).toBe('until close');
    expect(backend.sockets).toHaveLength(1);
  });
});

describe('request bodies, as the backend receives them', { timeout: 30_000 }, () => {
  it('sends a bodiless request without framing headers, the target and repeated headers as they came', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('')));
    const p = await startProxyTo(backend.port);
    await ask(p.port, rawGet('/p?q=1&q=%202', 'X-Multi: a\r\nX-Multi: b\r\n'));
    const head = backend.requests[0]?.head ?? '';
    expect(head.split('\r\n')[0]).toBe('GET /p?q=1&q=%202 HTTP/1.1');
    expect(headValue(head, 'content-length')).toBeUndefined();
    expect(headValue(head, 'transfer-encoding')).toBeUndefined();
    expect(head.split('\r\n').filter((line) => line.toLowerCase().startsWith('x-multi:'))).toEqual(['X-Multi: a', 'X-Multi: b']);
  });

  it('sends a body with Content-Length as it is, with its length', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('got it')));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    await client.write(`POST /upload?x=1 HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: 11\r\n\r\nhello `);
    await client.write('world');
    const [response] = await client.responses(1);
    expect(text(response)).toBe('got it');
    const request = backend.requests[0];
    expect(headValue(request?.head ?? '', 'content-length')).toBe('11');
    expect(headValue(request?.head ?? '', 'transfer-encoding')).toBeUndefined();
    expect(request?.body.toString()).toBe('hello world');
  });

  it('streams a chunked body with one framing, and the backend gets every byte', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse('got it')));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    await client.write(`POST /upload HTTP/1.1\r\nHost: ${rawHost}\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n`);
    await client.write('f;ext=1\r\nwonderful world\r\n0\r\n\r\n');
    const [response] = await client.responses(1);
    expect(text(response)).toBe('got it');
    // Streamed on chunked; undici frames a body that has wholly arrived before it writes the
    // request with its length instead. One framing either way, and every byte.
    const head = backend.requests[0]?.head ?? '';
    const framed = backend.requests[0]?.body ?? Buffer.alloc(0);
    const te = headValue(head, 'transfer-encoding');
    const cl = headValue(head, 'content-length');
    expect(te === undefined ? cl : te).toBe(te === undefined ? String(framed.length) : 'chunked');
    expect(te !== undefined && cl !== undefined).toBe(false);
    expect((te === undefined ? framed : dechunkBody(framed)).toString()).toBe('hello wonderful world');
  });

  it('sends an empty chunked body so that the backend connection serves the next request', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse(`answer ${req.index}`)));
    const p = await startProxyTo(backend.port);
    const client = connect(p.port);
    expect(text(await client.request(`POST /empty HTTP/1.1\r\nHost: ${rawHost}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, { method: 'POST' }))).toBe('answer 0');
    expect(text(await client.request(rawGet('/next')))).toBe('answer 1');
    const framed = backend.requests[0]?.body ?? Buffer.alloc(0);
    expect(framed.length === 0 ? '' : dechunkBody(framed).toString()).toBe('');
    expect(backend.sockets).toHaveLength(1);
  });

  it('streams a 16 MB chunked upload intact to node:http, counts it, and keeps the connection', async () => {
    const upstream = await startUpstream((req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      req.on('end', () => res.end(JSON.stringify({ length, sha256: hash.digest('hex') })));
    });
    try {
      const p = await startProxyTo(upstream.port);
      const client = connect(p.port);
      const total = 16 * 1024 * 1024 + 123;
      const hash = createHash('sha256');
      await client.write(`PUT /big HTTP/1.1\r\nHost: ${rawHost}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let at = 0; at < total; at += 256 * 1024) {
        const piece = Buffer.alloc(Math.min(256 * 1024, total - at), at % 251);
        hash.update(piece);
        await client.write(Buffer.concat([latin1(`${piece.length.toString(16)}\r\n`), piece, latin1('\r\n')]));
      }
      await client.write('0\r\n\r\n');
      const [response] = await client.responses(1, { timeoutMs: 20_000 });
      expect(JSON.parse(text(response))).toEqual({ length: total, sha256: hash.digest('hex') });
      await waitFor(() => p.events.length === 1);
      expect(p.events[0]).toMatchObject({ status: 200, bytesIn: total });
      expect((await ask(p.port, rawGet('/after'))).response?.status).toBe(200);
      expect(upstream.connections).toBe(1);
    } finally {
      await upstream.close();
    }
  });

  it('stops taking the upload while the backend does not read, and delivers all of it once it does', async () => {
    let releaseReading: () => void = () => {};
    const reading = new Promise<void>((resolve) => (releaseReading = resolve));
    const upstream = await startUpstream((req, res) => {
      req.pause();
      const hash = createHash('sha256');
      let length = 0;
      void reading.then(() => {
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          length += chunk.length;
        });
        req.on('end', () => res.end(JSON.stringify({ length, sha256: hash.digest('hex') })));
        req.resume();
      });
    });
    try {
      const p = await startProxyTo(upstream.port);
      const client = connect(p.port);
      const total = 64 * 1024 * 1024;
      const hash = createHash('sha256');
      await client.write(`POST /upload HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: ${total}\r\n\r\n`);
      let sent = 0;
      let progressAt = performance.now();
      const pump = (): void => {
        while (sent < total) {
          const piece = Buffer.alloc(64 * 1024, (sent / 65536) % 251);
          hash.update(piece);
          sent += piece.length;
          progressAt = performance.now();
          if (!client.socket.write(piece)) return;
        }
      };
      client.socket.on('drain', pump);
      pump();
      // Backpressure reaches the client: its writes stop being taken.
      await waitFor(() => sent === total || performance.now() - progressAt > 300, 20_000, 'the upload to stall');
      expect(sent).toBeLessThan(total);
      releaseReading();
      const [response] = await client.responses(1, { timeoutMs: 25_000 });
      expect(JSON.parse(text(response))).toEqual({ length: total, sha256: hash.digest('hex') });
    } finally {
      releaseReading();
      await upstream.close();
    }
  });

  // The backend answered before the body was complete: the rest of the body is still owed on
  // that connection, so a next request sent on it would be read as body.
  it('does not reuse a backend connection whose request body was cut by an early answer', async () => {
    const backend = await startRawBackend((req) => req.socket.write(okResponse(`answer on ${req.connection}`)), {
      onConnection: (socket) =>
        socket.once('data', (chunk: Buffer) => {
          if (chunk.toString('latin1').startsWith('POST /upload')) socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!');
        }),
    });
    const p = await startProxyTo(backend.port, { readTimeoutMs: 3_000 });
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`POST /upload HTTP/1.1\r\nHost: ${rawHost}\r\nContent-Length: ${256 * 1024 * 1024}\r\n\r\n${'u'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect([response?.status, text(response)]).toEqual([413, 'too big!']);
    const next = await ask(p.port, rawGet('/next'), { timeoutMs: 10_000 });
    expect([next.response?.status, text(next.response)]).toEqual([200, 'answer on 1']);
  });
});
