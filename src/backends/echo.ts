import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The built-in `echo` target: a stand-in for a Service that does not run yet. It answers every
 * request with JSON describing what the backend would have received (method, path and query
 * byte for byte, Host, every header including the forwarding ones, body size) and which Service
 * port and route it stands in for, so routing can be tested with nothing running.
 */

/** The request as a backend would receive it: after routing and the forwarding headers. */
export interface EchoRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/** The Service port (and route) the echo answers for. */
export interface EchoStandIn {
  readonly service: string;
  readonly namespace: string;
  readonly port: number | null;
  readonly portName: string | null;
  readonly route: string | null;
}

export interface EchoReply extends EchoRequest {
  readonly bodyBytes: number;
  readonly standsInFor: EchoStandIn;
}

export interface EchoOutcome {
  /** 200, or null when the client went away before the answer. */
  readonly status: number | null;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

const contentType = 'application/json; charset=utf-8';

/**
 * Answers with the echo JSON once the request body has been read. The body is counted as it
 * streams and never kept, so an upload of any size costs no memory.
 */
export function respondEcho(req: IncomingMessage, res: ServerResponse, request: EchoRequest, standIn: EchoStandIn): Promise<EchoOutcome> {
  return new Promise((resolve) => {
    let bodyBytes = 0;
    let settled = false;
    const settle = (outcome: EchoOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    res.on('close', () => settle({ status: null, responseHeaders: {}, bytesIn: bodyBytes, bytesOut: 0 }));
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const body = formatEchoBody(request, standIn, bodyBytes);
      const headers = { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
      res.writeHead(200, headers);
      res.end(body);
      settle({ status: 200, responseHeaders: headers, bytesIn: bodyBytes, bytesOut: Buffer.byteLength(body) });
    });
  });
}

export function formatEchoBody(request: EchoRequest, standIn: EchoStandIn, bodyBytes: number): string {
  const reply: EchoReply = { ...request, bodyBytes, standsInFor: standIn };
  return `${JSON.stringify(reply, null, 2)}\n`;
}

/**
 * The echo's answer to an Upgrade request (a WebSocket handshake): it does not switch protocols
 * but answers with its JSON and closes, so the handshake fails visibly and still shows what the
 * backend would have received. Written on the raw socket the upgrade left.
 */
export function formatEchoUpgradeResponse(request: EchoRequest, standIn: EchoStandIn): string {
  const body = formatEchoBody(request, standIn, 0);
  return `HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
