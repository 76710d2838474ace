import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The responses still owed on each client connection. node's server writes pipelined responses
 * in order, but it hands a socket over (`upgrade`, `connect`) or reports a malformed request
 * (`clientError`) at once, while earlier responses on it may still be coming: whatever the proxy
 * writes on the raw socket must wait for them, or it would answer an earlier request (RFC 9112
 * section 9.3.2: responses in the order of the requests).
 */

const kResponses = Symbol('ingress-dev.responses');
type TrackedSocket = Duplex & { [kResponses]?: Set<ServerResponse> };

export interface ConnectionTracker {
  /** Counts `res` as owed on its connection until node has written all of it (its 'close'). */
  track(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Runs `then` once every response owed on `socket` is written; never if the socket closes
   * first. `except` leaves a response out (the one to a request whose body broke off).
   */
  afterResponses(socket: Duplex, then: () => void, except?: (res: ServerResponse) => boolean): void;
  /** The responses still owed on `socket`. */
  owed(socket: Duplex): readonly ServerResponse[];
  /** Responses that have not started say `Connection: close` (the proxy is shutting down). */
  closeAfterResponses(): void;
}

/** A response's 'close' listener, shared by all: no closure per request. */
function forgetResponse(this: ServerResponse): void {
  (this.req.socket as TrackedSocket | null)?.[kResponses]?.delete(this);
}

export function createConnectionTracker(): ConnectionTracker {
  const sockets = new Set<TrackedSocket>();
  const owedOn = (socket: Duplex): ServerResponse[] => [...((socket as TrackedSocket)[kResponses] ?? [])];
  /** A connection's first request: its set of owed responses, dropped with the connection. */
  const startTracking = (socket: TrackedSocket): Set<ServerResponse> => {
    const responses = new Set<ServerResponse>();
    socket[kResponses] = responses;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      responses.clear();
    });
    return responses;
  };
  return {
    track(req, res) {
      const socket = req.socket as TrackedSocket;
      (socket[kResponses] ?? startTracking(socket)).add(res);
      res.once('close', forgetResponse);
    },
    afterResponses(socket, then, except) {
      const owed = owedOn(socket).filter((res) => except === undefined || !except(res));
      if (owed.length === 0) {
        then();
        return;
      }
      let left = owed.length;
      const onSocketClose = (): void => {
        left = -1;
      };
      socket.once('close', onSocketClose);
      for (const res of owed) {
        res.once('close', () => {
          if (--left !== 0) return;
          socket.off('close', onSocketClose);
          // After node's own 'close' handling, which may hand the socket the next response.
          setImmediate(() => {
            if (!socket.destroyed) then();
          });
        });
      }
    },
    owed: owedOn,
    closeAfterResponses() {
      for (const socket of sockets) {
        for (const res of socket[kResponses] ?? []) {
          if (!res.headersSent) res.setHeader('connection', 'close');
        }
      }
    },
  };
}
