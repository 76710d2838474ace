import type { ServiceBackend } from '../model/types.js';

/** Where a request for a Service port goes: an upstream HTTP(S) server, or the built-in echo. */
export type Target =
  | {
      readonly kind: 'http';
      readonly protocol: 'http:' | 'https:';
      readonly host: string;
      readonly port: number;
      /** `http://127.0.0.1:3000`: the key of the keep-alive pool. */
      readonly origin: string;
    }
  | { readonly kind: 'echo' };

/** How a Service port was resolved, at request time (container addresses change; the table does not). */
export type Resolution =
  | {
      readonly kind: 'target';
      readonly target: Target;
      /** What mapped it, for logs and error pages: `--map web=3000`, `ingress-dev.yaml:7`, `ExternalName api.example.com`. */
      readonly via: string;
    }
  | {
      readonly kind: 'unavailable';
      /**
       * `unmapped`: nothing maps the Service (a flag or config line would fix it); `docker`: its
       * containers exist but cannot take the request now (not ready, exited, engine gone);
       * `workload`: the workload `up --run` runs for it failed (image not pulled, container not
       * started, crashed), and the manifest is what to fix.
       */
      readonly cause: 'unmapped' | 'docker' | 'workload';
      /** Why there is no endpoint: `Service default/web port 80 is not mapped to anything`. */
      readonly reason: string;
      /** What to do, with the exact flag or config line that would fix it. */
      readonly hint: string;
    };

export type TargetResolution = Extract<Resolution, { kind: 'target' }>;
export type UnavailableResolution = Extract<Resolution, { kind: 'unavailable' }>;

export interface BackendResolver {
  /**
   * Where a request for this Service port goes now. Each call takes the next of several
   * replicas in turn; with `peek` (for displays: the UI, health checks, summaries) the turn
   * is not taken, so looking never changes which replica the next request gets, and the first
   * usable replica is shown, so what is shown does not move with the traffic.
   */
  resolve(backend: ServiceBackend, options?: { readonly peek?: boolean }): Resolution;
  /**
   * A request could not be sent to `target` (refused, timed out connecting, reset): when the
   * Service has other endpoints, this one leaves the rotation until discovery sees a change, as
   * nginx marks a failed upstream server. Resolvers with one target per Service ignore it.
   */
  reportFailure?(backend: ServiceBackend, target: Target): void;
  /**
   * Every endpoint that takes requests for this Service port now, in a stable order, without
   * taking a turn: ingress-nginx's sticky balancer picks among them itself. One for a mapping,
   * an ExternalName or the echo; what `resolve` says when there is none.
   */
  endpoints?(backend: ServiceBackend): readonly TargetResolution[] | UnavailableResolution;
}

/** `http://127.0.0.1:3000`, `echo`: how a target is shown in logs and pages. */
export function formatTarget(target: Target): string {
  return target.kind === 'echo' ? 'echo' : target.origin;
}
