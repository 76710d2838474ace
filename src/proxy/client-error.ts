import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HandlerContext } from './context.js';
import { generateRequestId } from './headers.js';

/** The statuses node's own server answers requests its parser refused with; 400 for the rest. */
const clientErrorStatuses: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};
const kClientError = Symbol('ingress-dev.client-error');

/**
 * A request node's parser refused (malformed, a head too large or too slow): what node's own
 * server answers, but only after the responses still owed on the connection, so a good request
 * pipelined before a bad one still gets its answer. Then the connection closes.
 */
export function handleClientError(context: HandlerContext, err: Error & { code?: string }, socket: Duplex): void {
  const marked = socket as Duplex & { [kClientError]?: true };
  if (marked[kClientError] === true) return;
  marked[kClientError] = true;
  socket.on('error', noop);
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // Nothing after a malformed request can be read as HTTP.
  socket.pause();
  // A request whose body broke off (a bad chunk) is the one this answer is for; its response,
  // if one started, cannot be followed by anything.
  const broken = (res: ServerResponse): boolean => !res.req.complete;
  context.connections.afterResponses(
    socket,
    () => {
      if (!socket.writable || context.connections.owed(socket).some((res) => broken(res) && res.headersSent)) {
        socket.destroy();
        return;
      }
      const status = clientErrorStatuses[err.code ?? ''] ?? 400;
      // A request whose body broke off has an event of its own (499 when the client left).
      const bodyBrokeOff = context.connections.owed(socket).some(broken);
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`, () => socket.destroy());
      if (!bodyBrokeOff) emitRefused(context, err, status);
    },
    broken,
  );
}

/** A refused request is a request too: the log and the UI show it, with node's reason. */
function emitRefused(context: HandlerContext, err: Error & { code?: string }, status: number): void {
  context.options.events.emit({
    type: 'request-completed',
    id: generateRequestId(),
    startedAt: Date.now(),
    method: '-',
    host: '',
    path: '',
    status,
    durationMs: 0,
    routeId: null,
    target: null,
    upstreamPath: null,
    error: `node's HTTP parser refused the request: ${err.message}${err.code === undefined || err.message.includes(err.code) ? '' : ` (${err.code})`}`,
    upgrade: false,
    requestHeaders: {},
    responseHeaders: { connection: 'close' },
    bytesIn: 0,
    bytesOut: 0,
  });
}

function noop(): void {}
