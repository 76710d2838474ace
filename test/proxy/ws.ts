import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/**
 * A minimal WebSocket (RFC 6455) for tests: the handshake and single-frame text messages under
 * 126 bytes. Node 20 has no WebSocket client, and the point is to see the bytes anyway.
 */

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + guid).digest('base64');
}

/** A frame: FIN + opcode, then the length; client frames are masked (RFC 6455 section 5.3). */
export function encodeFrame(text: string, options: { masked: boolean; opcode?: number }): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('test frames are short');
  const header = Buffer.from([0x80 | (options.opcode ?? 1), (options.masked ? 0x80 : 0) | payload.length]);
  if (!options.masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  return Buffer.concat([header, mask, payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))]);
}

/** Reads complete frames from a buffer; returns the texts and what is left over. */
export function decodeFrames(buffer: Buffer): { messages: { opcode: number; text: string }[]; rest: Buffer } {
  const messages: { opcode: number; text: string }[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = (buffer[offset] ?? 0) & 0x0f;
    const masked = ((buffer[offset + 1] ?? 0) & 0x80) !== 0;
    const length = (buffer[offset + 1] ?? 0) & 0x7f;
    const start = offset + 2 + (masked ? 4 : 0);
    if (buffer.length < start + length) break;
    const mask = buffer.subarray(offset + 2, offset + 6);
    const payload = buffer.subarray(start, start + length).map((byte, i) => (masked ? byte ^ (mask[i % 4] ?? 0) : byte));
    messages.push({ opcode, text: Buffer.from(payload).toString('utf8') });
    offset = start + length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** Server side: answers the handshake with 101, then echoes every text frame as `echo: …`. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, options: { greeting?: string } = {}): void {
  const key = req.headers['sec-websocket-key'] ?? '';
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
  if (options.greeting !== undefined) socket.write(encodeFrame(options.greeting, { masked: false }));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const { messages, rest } = decodeFrames(Buffer.concat([pending, chunk]));
    pending = rest;
    for (const message of messages) {
      if (message.opcode === 8) socket.end();
      else socket.write(encodeFrame(`echo: ${message.text}`, { masked: false }));
    }
  });
  // A peer that closed its side is done: close ours too (node keeps upgraded sockets half-open).
  socket.on('end', () => socket.end());
  socket.on('error', () => {});
}

export interface TestWebSocket {
  readonly socket: net.Socket;
  /** The handshake response head. */
  readonly head: string;
  readonly status: number;
  send(text: string): void;
  /** The next text message. */
  next(): Promise<string>;
  readonly closed: Promise<void>;
  /** Every byte received, once the connection closed: the whole response of a failed handshake. */
  all(): Promise<string>;
}

/** Client side: connects, sends the handshake, resolves once the response head arrived. */
export function openWebSocket(port: number, path: string, headers: Record<string, string>, secure?: { readonly ca: string; readonly servername: string }): Promise<TestWebSocket> {
  const key = randomBytes(16).toString('base64');
  // Over TLS, HTTP/1.1 by ALPN: the Upgrade handshake is HTTP/1.1's.
  const socket = secure === undefined ? net.connect(port, '127.0.0.1') : tls.connect({ host: '127.0.0.1', port, ca: secure.ca, servername: secure.servername, ALPNProtocols: ['http/1.1'] });
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`GET ${path} HTTP/1.1\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const received: Buffer[] = [];
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let ws: TestWebSocket | null = null;
    const queue: string[] = [];
    const waiting: ((text: string) => void)[] = [];
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      if (ws === null) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        ws = {
          socket,
          head: `${head}\r\n\r\n${buffer.toString('utf8')}`,
          status: Number(head.split(' ')[1]),
          send: (text) => socket.write(encodeFrame(text, { masked: true })),
          next: () => new Promise((res) => (queue.length > 0 ? res(queue.shift() ?? '') : waiting.push(res))),
          closed,
          all: async () => {
            await closed;
            return Buffer.concat(received).toString('utf8');
          },
        };
        if (ws.status !== 101) buffer = Buffer.alloc(0);
        resolve(ws);
      }
      const { messages, rest } = decodeFrames(buffer);
      buffer = rest;
      for (const message of messages) {
        const waiter = waiting.shift();
        if (waiter === undefined) queue.push(message.text);
        else waiter(message.text);
      }
    });
    socket.on('close', () => (ws === null ? reject(new Error('closed before the handshake response')) : undefined));
  });
}

export interface Http2TestWebSocket {
  readonly session: http2.ClientHttp2Session;
  readonly stream: http2.ClientHttp2Stream;
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  send(text: string): void;
  next(): Promise<string>;
  /** Resolves when the stream closed. */
  readonly closed: Promise<void>;
  /** Every byte of the response body, once the stream closed. */
  all(): Promise<string>;
}

/**
 * Client side over HTTP/2 (RFC 8441): waits for the server's SETTINGS_ENABLE_CONNECT_PROTOCOL,
 * opens an extended CONNECT stream with `:protocol: websocket`, resolves with its response.
 */
export function openHttp2WebSocket(port: number, path: string, authority: string, ca: string, headers: Record<string, string> = {}): Promise<Http2TestWebSocket> {
  const session = http2.connect(`https://${authority}:${port}`, { ca, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) });
  session.on('error', () => {});
  return new Promise((resolve, reject) => {
    session.once('remoteSettings', (settings) => {
      if (settings.enableConnectProtocol !== true) {
        reject(new Error('the server does not allow extended CONNECT'));
        return;
      }
      const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': authority, 'sec-websocket-version': '13', ...headers });
      const closed = new Promise<void>((done) => stream.on('close', () => done()));
      const received: Buffer[] = [];
      const queue: string[] = [];
      const waiting: ((text: string) => void)[] = [];
      let buffer: Buffer = Buffer.alloc(0);
      let status = 0;
      stream.on('error', () => {});
      stream.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (status !== 200) return;
        const { messages, rest } = decodeFrames(Buffer.concat([buffer, chunk]));
        buffer = rest;
        for (const message of messages) {
          const waiter = waiting.shift();
          if (waiter === undefined) queue.push(message.text);
          else waiter(message.text);
        }
      });
      stream.once('response', (responseHeaders) => {
        status = Number(responseHeaders[':status']);
        resolve({
          session,
          stream,
          status,
          headers: responseHeaders,
          send: (text) => stream.write(encodeFrame(text, { masked: true })),
          next: () => new Promise((res) => (queue.length > 0 ? res(queue.shift() ?? '') : waiting.push(res))),
          closed,
          all: async () => {
            await closed;
            return Buffer.concat(received).toString('utf8');
          },
        });
      });
      stream.once('close', () => (status === 0 ? reject(new Error(`the stream closed before a response (code ${stream.rstCode ?? '?'})`)) : undefined));
    });
  });
}
