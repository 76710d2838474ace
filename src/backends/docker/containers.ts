import { parsePortNames, runLabels } from './labels.js';

/** The states the engine reports; only `running` containers receive traffic. */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PublishedPort {
  readonly containerPort: number;
  readonly protocol: string; // tcp, udp, sctp
  /** As the engine reports it: `0.0.0.0`, `::`, `127.0.0.1`, or empty. */
  readonly hostIp: string;
  readonly hostPort: number;
}

export interface ContainerNetwork {
  readonly name: string;
  /** IPv4 address on that network, or '' when it has none (stopped container, `none` network). */
  readonly ip: string;
}

/** What the index keeps of one container: enough to select it and to reach it. */
export interface DockerContainer {
  readonly id: string;
  /** Without the leading slash the engine puts there. */
  readonly name: string;
  readonly image: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly state: ContainerState;
  /** The last exit code, when the container has exited at least once. */
  readonly exitCode: number | null;
  /**
   * When the container last started (the engine's timestamp, as written), null when it never
   * did. A new value means a restart: readiness is checked again from scratch.
   */
  readonly startedAt: string | null;
  /** `bridge`, `host`, `none`, `container:…` or a network name. */
  readonly networkMode: string;
  readonly networks: readonly ContainerNetwork[];
  readonly ports: readonly PublishedPort[];
  /**
   * Container port names, known only for containers started from a manifest that names its
   * ports (`up --run`); empty for containers the user started.
   */
  readonly namedPorts: ReadonlyMap<string, number>;
}

/** The fields of `GET /containers/{id}/json` the index reads (every one optional: engines differ). */
export interface InspectLike {
  readonly Id?: string;
  readonly Name?: string;
  readonly Config?: { readonly Image?: string; readonly Labels?: Record<string, string> | null } | null;
  readonly State?: { readonly Status?: string; readonly ExitCode?: number; readonly StartedAt?: string; readonly FinishedAt?: string } | null;
  readonly HostConfig?: { readonly NetworkMode?: string } | null;
  readonly NetworkSettings?: {
    readonly Networks?: Record<string, { readonly IPAddress?: string } | null> | null;
    readonly Ports?: Record<string, readonly { readonly HostIp?: string; readonly HostPort?: string }[] | null> | null;
  } | null;
}

const states: ReadonlySet<string> = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

/** An inspect answer → the index entry; null when it does not describe a container (no id). */
export function parseContainer(info: InspectLike): DockerContainer | null {
  if (typeof info.Id !== 'string' || info.Id === '') return null;
  const status = info.State?.Status ?? '';
  const state: ContainerState = states.has(status) ? (status as ContainerState) : 'dead';
  const labels = new Map(Object.entries(info.Config?.Labels ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const exitCode = info.State?.ExitCode;
  // A container that never ran reports ExitCode 0 and FinishedAt 0001-01-01: that is not an exit.
  const hasExited = state !== 'created' && !(info.State?.FinishedAt ?? '').startsWith('0001-');
  const startedAt = info.State?.StartedAt ?? '';
  const networks: ContainerNetwork[] = Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ name, ip: n?.IPAddress ?? '' }));
  const ports: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const m = /^(\d+)\/(\w+)$/.exec(key);
    if (m === null || bindings === null) continue;
    for (const b of bindings) {
      const hostPort = Number(b.HostPort);
      if (Number.isInteger(hostPort) && hostPort > 0) ports.push({ containerPort: Number(m[1]), protocol: m[2] ?? 'tcp', hostIp: b.HostIp ?? '', hostPort });
    }
  }
  return {
    id: info.Id,
    name: (info.Name ?? '').replace(/^\//, '') || info.Id.slice(0, 12),
    image: info.Config?.Image ?? '',
    labels,
    state,
    exitCode: typeof exitCode === 'number' && hasExited ? exitCode : null,
    startedAt: startedAt === '' || startedAt.startsWith('0001-') ? null : startedAt,
    networkMode: info.HostConfig?.NetworkMode ?? '',
    networks,
    ports,
    // Containers ingress-dev started from a manifest carry their port names in a label.
    namedPorts: parsePortNames(labels.get(runLabels.portNames)),
  };
}

/** `web-1 (3f2a1b2c3d4e)`: how a container is named in messages. */
export function formatContainer(c: Pick<DockerContainer, 'id' | 'name'>): string {
  return `${c.name} (${c.id.slice(0, 12)})`;
}
