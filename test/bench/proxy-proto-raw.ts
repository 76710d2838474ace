/** Prototype: node:http server (mode=http) or raw net server (mode=raw) relaying to raw pooled upstream sockets. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const mode = process.argv[3] ?? 'raw';
const idle: net.Socket[] = [];

interface Pending { onHead(head: string, status: number, rawHeaders: string[]): void; onData(chunk: Buffer): void; onEnd(): void }

function acquire(): net.Socket {
  const s = idle.pop();
  if (s !== undefined) return s;
  const socket = net.connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  return socket;
}

function exchange(socket: net.Socket, head: string, p: Pending): void {
  let buf: Buffer | null = null;
  let remaining = -1;
  const onData = (chunk: Buffer): void => {
    if (remaining < 0) {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = buf.toString('latin1', 0, end);
      const lines = text.split('\r\n');
      const status = Number(lines[0]!.slice(9, 12));
      const raw: string[] = [];
      let length = 0;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const c = line.indexOf(':');
        const name = line.slice(0, c);
        const value = line.slice(c + 1).trim();
        if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(value);
        raw.push(name, value);
      }
      p.onHead(text, status, raw);
      remaining = length;
      chunk = buf.subarray(end + 4);
      buf = null;
    }
    if (chunk.length > 0) {
      remaining -= chunk.length;
      p.onData(chunk);
    }
    if (remaining === 0) {
      socket.off('data', onData);
      idle.push(socket);
      p.onEnd();
    }
  };
  socket.on('data', onData);
  socket.write(head);
}

if (mode === 'http') {
  const server = http.createServer((req, res) => {
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    head += 'x-forwarded-for: 127.0.0.1\r\n\r\n';
    exchange(acquire(), head, {
      onHead(_h, status, rawHeaders) { res.writeHead(status, rawHeaders); },
      onData(chunk) { res.write(chunk); },
      onEnd() { res.end(); },
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
} else {
  const server = net.createServer({ noDelay: true }, (client) => {
    let buf: Buffer | null = null;
    client.on('error', () => {});
    client.on('data', (chunk) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = buf.toString('latin1', 0, end);
      buf = null; // prototype: GET only, no body, no pipelining
      const lines = text.split('\r\n');
      let head = lines[0] + '\r\n';
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const c = line.indexOf(':');
        head += `${line.slice(0, c)}: ${line.slice(c + 1).trim()}\r\n`;
      }
      head += 'x-forwarded-for: 127.0.0.1\r\n\r\n';
      const out: Buffer[] = [];
      exchange(acquire(), head, {
        onHead(h) { out.push(Buffer.from(h + '\r\n\r\n', 'latin1')); },
        onData(c) { out.push(c); },
        onEnd() { client.write(out.length === 1 ? out[0]! : Buffer.concat(out)); },
      });
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}
process.on('disconnect', () => process.exit(0));
