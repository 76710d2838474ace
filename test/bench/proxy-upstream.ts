/**
 * The benchmark's backend, in a process of its own: `/` answers 1 KB, `/big?bytes=N` streams N
 * bytes with backpressure. Sends `{port}` to its parent once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const small = Buffer.alloc(1024, 'x');
const chunk = Buffer.alloc(64 * 1024, 'y');

const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/big') === true) {
    const total = Number(new URL(req.url, 'http://x').searchParams.get('bytes') ?? 0);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    let sent = 0;
    const write = (): void => {
      while (sent < total) {
        const part = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(small.length) });
  res.end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
