import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSecureServer, createServer as createH2cServer, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import { authority } from '../model/url.js';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BackendResolver } from '../backends/types.js';
import { defaultServerTimeouts, type HandlerContext, type ProxyOptions, type ProxyTimeouts } from './context.js';
import { createConnectionTracker } from './connections.js';
import { createForwarder } from './forward.js';
import { createHttp2Forwarder } from './forward-h2.js';
import { handleRequest } from './handle-request.js';
import { handleClientError } from './client-error.js';
import { handleConnect, handleHttp2Connect, handleUpgrade } from './handle-upgrade.js';
import type { CertificateStore } from '../tls/certificates.js';

export type { ProxyOptions, ProxyTimeouts } from './context.js';

export interface RunningProxy {
  /** `http://127.0.0.1:8080` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** `https://127.0.0.1:8443` and its port, when the HTTPS listener runs. */
  readonly httpsUrl: string | null;
  readonly httpsPort: number | null;
  /**
   * Stops accepting, lets in-flight requests finish (for at most `graceMs`, default 10 s, then
   * their connections are destroyed), ends relayed WebSockets at once, closes upstream pools.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the ingress proxy: node's HTTP server (llhttp reads every request) with one request
 * pipeline behind it. A listen error (EADDRINUSE, EACCES) rejects with node's error, which
 * carries `code`, `address` and `port` for a one-line message.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const timeouts: ProxyTimeouts = { ...defaultServerTimeouts, ...options.timeouts };
  const forwarder = createForwarder(timeouts);
  const http2Forwarder = createHttp2Forwarder(timeouts);
  const resolverOf = typeof options.resolver === 'function' ? options.resolver : () => options.resolver as BackendResolver;
  const tunnels = new Set<Duplex>();
  const state = { closing: false };
  const connections = createConnectionTracker();
  const sessions = new Set<Http2Session>();
  const context: HandlerContext = { options, timeouts, forwarder, http2Forwarder, resolverOf, tunnels, connections, state, sessions };

  const server = createServer(
    {
      // A request head must arrive within this long of its first byte (node's default is 60 s
      // too); slow heads are answered 408 and closed. There is no deadline for a whole request:
      // a 1 GB upload may take minutes, and the send timeout guards its progress.
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: 0,
      // How often node looks for heads past their deadline: a slow head is closed within its
      // deadline plus this.
      connectionsCheckingInterval: Math.min(timeouts.headersTimeoutMs, 1_000),
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    },
    (req, res) => handleRequest(context, req, res),
  );
  // A client that closes its side after its requests (`nc -N`, `curl` with a body at EOF) still
  // gets every response; node's default would end the connection at once. Not in node's types,
  // but read by node's server when a client's side ends (lib/_http_server.js, socketOnEnd).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(context, req, socket, head));
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleConnect(context, req, socket, head));
  server.on('clientError', (err: Error, socket: Duplex) => handleClientError(context, err, socket));
  context.server = server;
  const secure = options.https === undefined ? null : await createSecureListener(context, options.https.certificates, timeouts);
  if (secure !== null) context.secure = secure;
  // The HTTP port also takes HTTP/2 without TLS (h2c with prior knowledge, as gRPC clients send
  // it): a connection is handed to node's HTTP/2 server when it opens with the HTTP/2 preface,
  // else to the HTTP/1.1 server. Both parse with node's own parsers.
  const h2c = createH2cListener(context);
  // node's HTTP server takes each connection in its 'connection' listener: it now runs only for
  // connections that do not open with the preface.
  const [http1Connection] = server.listeners('connection') as ((socket: Socket) => void)[];
  if (http1Connection !== undefined) {
    server.removeListener('connection', http1Connection);
    server.on('connection', (socket: Socket) => handOver(socket, (s) => http1Connection.call(server, s), h2c, context.tunnels));
  }

  try {
    await listen(server, options.host, options.port);
    if (secure !== null && options.https !== undefined) await listen(secure, options.host, options.https.port);
  } catch (err) {
    server.close();
    await forwarder.close();
    await http2Forwarder.close();
    throw err;
  }
  const portOf = (s: { address(): ReturnType<Server['address']> }, fallback: number): number => {
    const address = s.address();
    return typeof address === 'object' && address !== null ? address.port : fallback;
  };
  const port = portOf(server, options.port);
  const httpsPort = secure === null ? null : portOf(secure, options.https?.port ?? 0);
  context.httpsPort = httpsPort;
  context.httpPort = port;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${authority('http', options.host, port)}`,
    host: options.host,
    port,
    httpsUrl: httpsPort === null ? null : `https://${authority('https', options.host, httpsPort)}`,
    httpsPort,
    close(graceMs = 10_000) {
      closed ??= closeProxy(server, secure, context, graceMs);
      return closed;
    },
  };
}

/**
 * The HTTPS listener: node:http2's secure server with allowHTTP1, so ALPN picks HTTP/2 or
 * HTTP/1.1, and both go through the same pipeline as plain HTTP (HTTP/1.1 Upgrade requests, and
 * HTTP/2's extended CONNECT for WebSockets, too).
 * The certificate comes by SNI from the store; a client that sends no name gets `localhost`'s.
 */
async function createSecureListener(context: HandlerContext, certificates: CertificateStore, timeouts: ProxyTimeouts): Promise<Http2SecureServer> {
  const { cert, key } = await certificates.defaultCredentials();
  const secure = createSecureServer({ allowHTTP1: true, cert, key, SNICallback: certificates.sniCallback, settings: { enableConnectProtocol: true } });
  // The compatibility objects stand in for node:http's (see isHttp2 in context.ts).
  secure.on('request', (req, res) => handleRequest(context, req as unknown as IncomingMessage, res as unknown as ServerResponse));
  secure.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(context, req, socket, head));
  // HTTP/2's CONNECT: with :protocol, a WebSocket (RFC 8441, allowed by the settings above).
  secure.on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => handleHttp2Connect(context, req, res));
  secure.on('session', (session: Http2Session) => trackSession(context, session));
  // No Nagle on the TCP sockets under TLS (node:http's server sets noDelay; tls.Server does not):
  // without it the handshake's last flight waits for a delayed ACK, some 40 ms per new connection.
  secure.on('connection', (socket: { setNoDelay?: (noDelay?: boolean) => unknown }) => socket.setNoDelay?.(true));
  // A handshake that fails (an untrusting client closing, a port scan) concerns only that socket.
  secure.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  secure.setTimeout(0);
  (secure as unknown as { headersTimeout?: number }).headersTimeout = timeouts.headersTimeoutMs;
  return secure;
}

/**
 * The first bytes of a connection decide, before any parser sees them: the HTTP/2 preface
 * (`PRI * HTTP/2.0`, a method no HTTP/1.1 request has) goes to the h2c server, anything else to
 * node's HTTP/1.1 server. Nothing is parsed here; the bytes are put back for the parser.
 */
function handOver(socket: Socket, http1: (socket: Socket) => void, h2c: Http2Server, waiting: Set<Duplex>): void {
  socket.on('error', noop);
  // Until it sends a byte, no server knows the connection: closing the proxy destroys it with the tunnels.
  waiting.add(socket);
  socket.once('close', () => waiting.delete(socket));
  socket.once('data', (chunk: Buffer) => {
    waiting.delete(socket);
    socket.pause();
    socket.unshift(chunk);
    socket.off('error', noop);
    if (chunk.length >= 4 && chunk.toString('latin1', 0, 4) === 'PRI ') h2c.emit('connection', socket);
    else http1(socket);
    process.nextTick(() => socket.resume());
  });
}

/** HTTP/2 without TLS on the HTTP port: the same pipeline as the HTTPS listener's HTTP/2. */
function createH2cListener(context: HandlerContext): Http2Server {
  const h2c = createH2cServer({ settings: { enableConnectProtocol: false } });
  h2c.on('request', (req, res) => handleRequest(context, req as unknown as IncomingMessage, res as unknown as ServerResponse));
  h2c.on('session', (session: Http2Session) => trackSession(context, session));
  // A client that is not speaking HTTP/2 after all (a bad preface, a protocol error): its connection goes.
  h2c.on('sessionError', (_err: Error, session: Http2Session) => session.destroy());
  h2c.setTimeout(0);
  return h2c;
}

/** HTTP/2 sessions (TLS or h2c) get a GOAWAY when the proxy closes. */
function trackSession(context: HandlerContext, session: Http2Session): void {
  context.sessions?.add(session);
  session.once('close', () => context.sessions?.delete(session));
}

function noop(): void {}

function listen(server: Server | Http2SecureServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function closeProxy(server: Server, secure: Http2SecureServer | null, context: HandlerContext, graceMs: number): Promise<void> {
  context.state.closing = true;
  context.connections.closeAfterResponses();
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  const secureStopped = secure === null ? Promise.resolve() : new Promise<void>((resolve) => secure.close(() => resolve()));
  server.closeIdleConnections();
  // HTTP/2 sessions get a GOAWAY: streams in progress finish, no new ones start.
  for (const session of context.sessions ?? []) session.close();
  for (const tunnel of context.tunnels) tunnel.destroy();
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    for (const session of context.sessions ?? []) session.destroy();
    for (const tunnel of context.tunnels) tunnel.destroy();
  }, graceMs);
  await Promise.all([stopped, secureStopped]);
  clearTimeout(deadline);
  await context.forwarder.close();
  await context.http2Forwarder.close();
}
