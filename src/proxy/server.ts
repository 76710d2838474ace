import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BackendResolver } from '../backends/types.js';
import { defaultServerTimeouts, type HandlerContext, type ProxyOptions, type ProxyTimeouts } from './context.js';
import { createConnectionTracker } from './connections.js';
import { createForwarder } from './forward.js';
import { handleRequest } from './handle-request.js';
import { handleClientError } from './client-error.js';
import { handleConnect, handleUpgrade } from './handle-upgrade.js';

export type { ProxyOptions, ProxyTimeouts } from './context.js';

export interface RunningProxy {
  /** `http://127.0.0.1:8080` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
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
  const resolverOf = typeof options.resolver === 'function' ? options.resolver : () => options.resolver as BackendResolver;
  const tunnels = new Set<Duplex>();
  const state = { closing: false };
  const connections = createConnectionTracker();
  const context: HandlerContext = { options, timeouts, forwarder, resolverOf, tunnels, connections, state };

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
  server.on('connect', (req: IncomingMessage, socket: Duplex) => handleConnect(context, req, socket));
  server.on('clientError', (err: Error, socket: Duplex) => handleClientError(context, err, socket));
  context.server = server;

  try {
    await listen(server, options.host, options.port);
  } catch (err) {
    await forwarder.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    host: options.host,
    port,
    close(graceMs = 10_000) {
      closed ??= closeProxy(server, context, graceMs);
      return closed;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function closeProxy(server: Server, context: HandlerContext, graceMs: number): Promise<void> {
  context.state.closing = true;
  context.connections.closeAfterResponses();
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  for (const tunnel of context.tunnels) tunnel.destroy();
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    for (const tunnel of context.tunnels) tunnel.destroy();
  }, graceMs);
  await stopped;
  clearTimeout(deadline);
  await context.forwarder.close();
}
