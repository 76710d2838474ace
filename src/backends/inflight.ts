/**
 * The requests the proxy is forwarding now, by upstream address. A container that leaves (a
 * rollout or a scale-down) is first taken out of rotation, then given the time to answer the
 * requests it was sent before it is stopped: this is how the runner knows when that is.
 */
export interface InflightRequests {
  /** A request is sent to `host:port`; call the function it returns once it has ended. */
  begin(host: string, port: number): () => void;
  /** Requests in progress to the addresses `match` accepts. */
  count(match: (host: string, port: number) => boolean): number;
  /**
   * Resolves once no request to the addresses `match` accepts is in progress, or after
   * `timeoutMs`, or when `signal` aborts, with how many were still in progress then.
   */
  whenIdle(match: (host: string, port: number) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<number>;
}

interface Address {
  readonly host: string;
  readonly port: number;
  count: number;
}

export function createInflightRequests(): InflightRequests {
  const byAddress = new Map<string, Address>();
  const waiters = new Set<() => void>();

  const count = (match: (host: string, port: number) => boolean): number => {
    let n = 0;
    for (const a of byAddress.values()) if (match(a.host, a.port)) n += a.count;
    return n;
  };

  return {
    begin(host, port) {
      const key = `${host}:${port}`;
      let address = byAddress.get(key);
      if (address === undefined) {
        address = { host, port, count: 0 };
        byAddress.set(key, address);
      }
      address.count++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        const a = byAddress.get(key);
        if (a === undefined) return;
        a.count--;
        if (a.count === 0) byAddress.delete(key);
        for (const wake of waiters) wake(); // a waiter that wakes removes itself: Set iteration allows it
      };
    },
    count,
    whenIdle(match, timeoutMs, signal) {
      return new Promise((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          signal?.removeEventListener('abort', finish);
          resolve(count(match));
        };
        const check = (): void => {
          if (count(match) === 0) finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        timer.unref();
        signal?.addEventListener('abort', finish, { once: true });
        waiters.add(check);
        if (signal?.aborted === true) finish();
        else check();
      });
    },
  };
}
