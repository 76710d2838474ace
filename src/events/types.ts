import type { Diagnostic } from '../diagnostics/diagnostic.js';

/** One request the proxy finished (or gave up on). Emitted once per request, after the response ended. */
export interface RequestCompleted {
  readonly type: 'request-completed';
  readonly id: string; // X-Request-ID
  readonly startedAt: number; // epoch ms
  readonly method: string;
  readonly host: string; // as received, port included
  readonly path: string; // request target: path and query
  readonly status: number;
  readonly durationMs: number;
  /** Matched route id, `…#default`, or null for `no route`. */
  readonly routeId: string | null;
  /** `http://127.0.0.1:3000`, `echo`, or null when the request was not forwarded. */
  readonly target: string | null;
  readonly upstreamPath: string | null;
  /** What went wrong, for 502/503/504: `connect ECONNREFUSED 127.0.0.1:3000`. */
  readonly error: string | null;
  readonly upgrade: boolean;
  /** `https` for a request that came over TLS (the HTTPS listener); absent means http. */
  readonly scheme?: 'http' | 'https';
  /** `HTTP/2` or `HTTP/1.1` (`HTTP/1.0`), as the client spoke. */
  readonly protocol?: string;
  readonly requestHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly responseHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** What each ingress-nginx annotation did to it (profile nginx): `{by: 'enable-cors', what: 'origin … is allowed'}`. */
  readonly steps?: readonly { readonly by: string; readonly what: string }[];
}

/** What a reload changed, by route id. */
export interface RouteChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** A reload built a new table (or mappings) and swapped it in. */
export interface ConfigApplied {
  readonly type: 'config-applied';
  readonly at: number;
  /** What triggered it: the first changed files, `manual` (the r key), or `start`. */
  readonly trigger: string;
  readonly routes: number;
  readonly files: number;
  readonly changes: RouteChanges;
  /** Every diagnostic of the applied state (semantic errors drop only the broken routes). */
  readonly diagnostics: readonly Diagnostic[];
  readonly durationMs: number;
  /** Set when a setting changed that needs a restart (listen host or port). */
  readonly restartNeeded: string | null;
}

/** A reload failed (a file does not parse, the config file is invalid): the last good state keeps serving. */
export interface ConfigRejected {
  readonly type: 'config-rejected';
  readonly at: number;
  readonly trigger: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly durationMs: number;
}

export interface BackendChanged {
  readonly type: 'backend-changed';
  readonly at: number;
  readonly service: string;
  readonly target: string | null;
  readonly state: 'reachable' | 'refused' | 'unmapped';
  /** How the target was chosen, when known: `--map web=3000`, `docker: selector app=web → container web-1 (3f2a1b2c3d4e)`. */
  readonly via?: string;
}

/**
 * The Docker engine was found or lost, or one of its containers changed (started, stopped,
 * removed, renamed): endpoints of the Services it backs may have changed with it.
 */
export interface DockerChanged {
  readonly type: 'docker-changed';
  readonly at: number;
  readonly change: 'engine' | 'container';
  /** The connection after the change. */
  readonly engine: 'connected' | 'unreachable';
  /** `unix:///var/run/docker.sock`, or null when no engine was found. */
  readonly endpoint: string | null;
  /** One line for the user: `Docker: connected to …`, `container web-1 (3f2a1b2c3d4e) exited with code 1`. */
  readonly message: string;
}

/**
 * A workload started from the folder (`up --run`) changed: its image is being pulled, a
 * container was created, became ready, exited and was restarted, or was removed.
 */
export interface WorkloadChanged {
  readonly type: 'workload-changed';
  readonly at: number;
  /** `Deployment default/web`; null for what concerns the run as a whole (the network, leftovers). */
  readonly workload: string | null;
  /** `terminating`: out of rotation (a rollout or a scale-down replaces it), answering its last requests before it stops. */
  readonly change: 'pulling' | 'pulled' | 'pull-failed' | 'building' | 'built' | 'build-failed' | 'created' | 'terminating' | 'removed' | 'ready' | 'not-ready' | 'exited' | 'restarted' | 'failed' | 'leftovers';
  /** The container concerned, by name, when there is one. */
  readonly container: string | null;
  /** How far an image pull is, from 0 to 1, when the registry says; null otherwise. */
  readonly progress: number | null;
  /** One line for the user: `pulling nginx:1.27-alpine: 12.1 of 19.8 MB`, `container shop-web-1 is ready`. */
  readonly message: string;
}

/** One workload of the folder after an apply of `up --run`. */
export interface AppliedWorkload {
  /** `Deployment default/web`. */
  readonly workload: string;
  /** `nginx:1.27-alpine`; null when the manifest names none (it cannot run). */
  readonly image: string | null;
  readonly action: 'created' | 'updated' | 'scaled' | 'unchanged' | 'failed';
  /** Its containers after the apply. */
  readonly containers: readonly { readonly id: string; readonly name: string }[];
  /** Containers out of rotation that answer their last requests, then stop. */
  readonly leaving: readonly { readonly id: string; readonly name: string }[];
  /** While a rollout is under way: `rolling update: 1 of 2 replicas updated, waiting for shop-web-2-3f2a1 to be ready`. */
  readonly rollout: string | null;
  /** Why it is not running, for `failed`. */
  readonly error: string | null;
}

/**
 * `up --run` made the containers match the folder (at start, after a reload, after the engine
 * came back): every workload of the folder, and the problems of the apply by file position.
 */
export interface WorkloadsApplied {
  readonly type: 'workloads-applied';
  readonly at: number;
  /** Every workload of the folder, in file order. */
  readonly workloads: readonly AppliedWorkload[];
  /** Sidecars not run, a missing ConfigMap, an image that cannot be pulled (`E_IMAGE_PULL`). */
  readonly diagnostics: readonly Diagnostic[];
  /** Set when nothing could run (the engine does not answer): why, once for all workloads. */
  readonly engine: string | null;
  /** The Services' addresses inside the project network (their relays), when they have them. */
  readonly services?: readonly ServiceAddress[];
}

/** A Service as the containers of `up --run` reach it: `default/api` at 172.20.0.2 on 80. */
export interface ServiceAddress {
  readonly service: string;
  readonly address: string;
  readonly ports: readonly number[];
}

export type IngressDevEvent = RequestCompleted | ConfigApplied | ConfigRejected | BackendChanged | DockerChanged | WorkloadChanged | WorkloadsApplied;
