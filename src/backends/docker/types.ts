import type { DockerContainer } from './containers.js';

/** The connection to the engine, as the resolver, the CLI notice and the UI see it. */
export type DockerStatus =
  /** Turned off by the user; `reason` says where: `--no-docker`, `docker: off in ingress-dev.yaml`. */
  | { readonly state: 'disabled'; readonly reason: string }
  /** The first attempt has not finished yet. */
  | { readonly state: 'connecting' }
  | {
      readonly state: 'connected';
      /** `unix:///var/run/docker.sock` */
      readonly endpoint: string;
      /** `Docker Engine 20.10.24`, `Podman Engine 5.2.0`. */
      readonly engine: string;
      readonly since: number;
    }
  | {
      readonly state: 'unreachable';
      /** The endpoint that failed; null when no engine socket was found at all. */
      readonly endpoint: string | null;
      /** `connect ENOENT /var/run/docker.sock`, or what was looked for. */
      readonly error: string;
      /** What the user can do about it. */
      readonly hint: string;
      readonly since: number;
      /** False when trying again cannot help (DOCKER_HOST is malformed): no retries. */
      readonly retrying: boolean;
    };

/** One consistent view of the containers; a new object (and version) after every change. */
export interface DockerSnapshot {
  /** Grows with every change, so a reader can cache what it computed from a snapshot. */
  readonly version: number;
  /** Every container the engine knows (running or not), sorted by name. Empty when not connected. */
  readonly containers: readonly DockerContainer[];
  /**
   * Whether container addresses (172.17.0.2) are reachable from this process: on Linux with a
   * rootful engine, yes; Docker Desktop, colima and rootless engines keep them in a VM or a
   * namespace. `why` says which, for messages.
   */
  readonly addresses: { readonly reachable: true } | { readonly reachable: false; readonly why: string };
}

/** What the resolver reads, synchronously, on every request (no I/O). */
export interface DockerIndex {
  status(): DockerStatus;
  snapshot(): DockerSnapshot;
}

/** Whether a container may receive requests, by its readiness check. */
export type ContainerReadiness =
  | { readonly ready: true }
  | {
      readonly ready: false;
      /** `container shop-web-1 is not ready yet (readinessProbe httpGet /healthz)`. */
      readonly reason: string;
      /** What the last check saw, and what to look at. */
      readonly hint: string;
    };

/**
 * The readiness of the containers `up --run` started (the workload runner keeps it). The
 * resolver routes only to ready ones; containers it does not know (those the user started)
 * are not gated. Read synchronously on every request.
 */
export interface ReadinessIndex {
  /** Grows with every change, so a reader can cache what it computed. */
  version(): number;
  /** undefined for a container this index does not gate. */
  readinessOf(container: DockerContainer): ContainerReadiness | undefined;
  /**
   * Why the workload `up --run` runs behind a Service (`default/web`) cannot serve it (its image
   * could not be pulled, its container could not start or crashed), when it knows: the 503 says
   * that rather than how to map the Service.
   */
  workloadProblemOf?(service: string): WorkloadProblem | undefined;
}

/** A workload of `up --run` that cannot serve its Services, and why. */
export interface WorkloadProblem {
  /** `Deployment default/admin`. */
  readonly workload: string;
  /** `Deployment default/admin: image ingress-dev-test/nope is not on this machine and could not be pulled: …`. */
  readonly reason: string;
  /** What to fix, and where: `Fix Deployment default/admin in k8s/admin.yaml:12, or: …`. */
  readonly hint: string;
}
