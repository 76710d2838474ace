import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { classifyForwardError, type ForwardError, type ForwardTimeouts, type HttpTarget } from './forward.js';
import type { RawHeaders } from './headers.js';

/**
 * WebSockets and other `Upgrade` requests: the request head goes to the backend over a socket
 * of its own, the backend's response head comes back verbatim (`101 Switching Protocols` keeps
 * its `Connection: upgrade`), and from then on bytes flow both ways untouched. Closing or an
 * error on either side destroys the other. Once relaying, there is no idle timeout.
 */

export interface UpgradeOutcome {
  /** The backend's status (101 for a WebSocket), or null when it never answered. */
  readonly status: number | null;
  readonly responseHeaders: RawHeaders | null;
  /** Bytes relayed client → backend and backend → client, after the heads. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /**
   * Set when the backend never answered (the client socket is left open for an error
   * response), or when the client went away first (`client-aborted`).
   */
  readonly error: ForwardError | null;
}

/** A response head larger than this is not HTTP worth relaying. */
const maxHeadBytes = 64 * 1024;

/** Resolves when the backend failed before answering, or when the relayed connection ended. */
export function relayUpgrade(client: Duplex, head: Buffer, target: HttpTarget, requestHead: string, timeouts: ForwardTimeouts): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const upstream = connectTo(target);
    let relaying = false;
    let settled = false;
    let bytesIn = 0;
    let bytesOut = 0;
    let status: number | null = null;
    let responseHeaders: RawHeaders | null = null;
    let pending: Buffer = Buffer.alloc(0);

    const settle = (error: ForwardError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, responseHeaders, bytesIn, bytesOut, error });
    };
    /** Before the backend answered: stop, and leave the client socket for an error response. */
    const fail = (error: ForwardError): void => {
      if (relaying || settled) return;
      client.unpipe(upstream);
      upstream.destroy();
      settle(error);
    };
    const failWith = (err: unknown): void => fail(classifyForwardError(err, target, timeouts));
    let timer = setTimeout(() => failWith(Object.assign(new Error('connect timeout'), { code: 'UPSTREAM_CONNECT_TIMEOUT' })), timeouts.connectTimeoutMs);

    upstream.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => failWith(Object.assign(new Error('headers timeout'), { code: 'UPSTREAM_HEADERS_TIMEOUT' })), timeouts.readTimeoutMs);
      upstream.write(requestHead);
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream, { end: false });
    });

    const onHead = (chunk: Buffer): void => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) {
        if (pending.length > maxHeadBytes) fail({ kind: 'other', message: `${target.origin} sent a response head larger than ${maxHeadBytes} bytes` });
        return;
      }
      upstream.off('data', onHead);
      clearTimeout(timer);
      const parsed = parseResponseHead(pending.subarray(0, end).toString('latin1'));
      status = parsed.status;
      responseHeaders = parsed.headers;
      relaying = true;
      client.write(pending);
      bytesOut = pending.length - end - 4;
      upstream.on('data', (data: Buffer) => {
        bytesOut += data.length;
      });
      // The client is already piped (flowing), so one more listener only counts.
      client.on('data', (data: Buffer) => {
        bytesIn += data.length;
      });
      upstream.pipe(client, { end: false });
      // Either side's end closes the relay, as nginx does: finish writing to the other, then destroy.
      upstream.once('end', () => closeAfterFlush(client));
      client.once('end', () => closeAfterFlush(upstream));
    };
    upstream.on('data', onHead);

    upstream.on('error', (err) => (relaying ? client.destroy() : failWith(err)));
    upstream.on('close', () => {
      if (relaying) client.destroy();
      else fail({ kind: 'reset', message: `${target.origin} closed the connection before answering the upgrade` });
    });
    // An error is always followed by 'close'.
    client.on('error', noop);
    client.on('close', () => {
      upstream.destroy();
      settle(relaying ? null : { kind: 'client-aborted', message: 'the client closed the connection' });
    });
  });
}

function connectTo(target: HttpTarget): Duplex {
  if (target.protocol === 'https:') {
    return tls.connect({
      host: target.host,
      port: target.port,
      servername: net.isIP(target.host) === 0 ? target.host : undefined,
      // Local backends use self-signed certificates, as for plain requests.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
  }
  return net.connect({ host: target.host, port: target.port });
}

/** `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket…` → status and raw headers. */
export function parseResponseHead(head: string): { status: number | null; headers: RawHeaders } {
  const lines = head.split('\r\n');
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(lines[0] ?? '');
  const headers: RawHeaders = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: match?.[1] === undefined ? null : Number(match[1]), headers };
}

/** The request head for the backend: `GET /chat HTTP/1.1`, then the forwarding headers. */
export function formatRequestHead(method: string, path: string, headers: RawHeaders): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function closeAfterFlush(socket: Duplex): void {
  socket.end(() => socket.destroy());
}

function noop(): void {}
