/**
 * The floor for a Node proxy on node:http's client, next to proxy-bare.ts (undici): node's HTTP
 * server relaying through a keep-alive `http.Agent`, no routing and no events; hop-by-hop headers
 * dropped both ways, bodies streamed with `pipe` (backpressure). Port of the backend in argv[2];
 * sends `{port}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });

const hopByHop: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Raw headers minus the hop-by-hop ones and those named in `Connection`. */
function endToEnd(raw: readonly string[]): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection') {
      named ??= new Set();
      for (const token of (raw[i + 1] as string).split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    if (hopByHop.has(lower) || named?.has(lower) === true) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

const server = http.createServer((req, res) => {
  const upstream = http.request({
    agent,
    host: '127.0.0.1',
    port: upstreamPort,
    method: req.method,
    path: req.url,
    headers: endToEnd(req.rawHeaders),
  });
  upstream.on('response', (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEnd(upstreamRes.rawHeaders));
    upstreamRes.pipe(res);
    upstreamRes.on('error', () => res.destroy());
  });
  upstream.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  // The client went away before the response finished: release (destroy) the upstream socket.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
