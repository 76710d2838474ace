/** Where a Docker-compatible engine answers: a unix socket, or a TCP address (TLS when asked). */
export type EngineEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly display: string; readonly source: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
      /** Folder of ca.pem, cert.pem and key.pem for TLS (DOCKER_CERT_PATH, else ~/.docker). */
      readonly certPath: string | null;
      readonly display: string;
      readonly source: string;
    };

/** The part of the environment that says where the engine is. */
export interface EngineEnv {
  readonly DOCKER_HOST?: string | undefined;
  readonly DOCKER_TLS_VERIFY?: string | undefined;
  readonly DOCKER_CERT_PATH?: string | undefined;
  readonly HOME?: string | undefined;
  readonly XDG_RUNTIME_DIR?: string | undefined;
}

export type EngineCandidates =
  /** DOCKER_HOST was set: that endpoint only, as the docker CLI does (no fallback to other sockets). */
  | { readonly kind: 'explicit'; readonly endpoint: EngineEndpoint }
  /** DOCKER_HOST is set to something this tool cannot use. */
  | { readonly kind: 'invalid'; readonly error: string }
  /** The usual sockets, in order of preference; `present` are those that exist now (to try in order). */
  | { readonly kind: 'probed'; readonly present: readonly EngineEndpoint[]; readonly tried: readonly EngineEndpoint[] };

/**
 * Which engine endpoints to try, from the environment and whether each usual socket exists.
 * Pure: `exists` is the only window on the file system, so tests pass a set of paths.
 *
 * DOCKER_HOST wins and is used alone (`unix://` or `tcp://`); otherwise the usual sockets, the
 * system engine first because Docker Desktop and colima usually link it to their own socket too.
 */
export function findEngineCandidates(env: EngineEnv, exists: (path: string) => boolean): EngineCandidates {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost !== undefined && dockerHost !== '') return parseDockerHost(dockerHost, env);
  const tried = usualSockets(env);
  return { kind: 'probed', present: tried.filter((e) => e.kind === 'unix' && exists(e.socketPath)), tried };
}

/** The sockets Docker-compatible engines listen on, by default, on Linux and macOS. */
export function usualSockets(env: EngineEnv): EngineEndpoint[] {
  const home = env.HOME !== undefined && env.HOME !== '' ? stripSlash(env.HOME) : null;
  const runtime = env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== '' ? stripSlash(env.XDG_RUNTIME_DIR) : null;
  const sockets: [string | null, string][] = [
    ['/var/run/docker.sock', 'Docker Engine'],
    [home && `${home}/.docker/run/docker.sock`, 'Docker Desktop'],
    [home && `${home}/.colima/default/docker.sock`, 'colima'],
    [home && `${home}/.orbstack/run/docker.sock`, 'OrbStack'],
    [home && `${home}/.rd/docker.sock`, 'Rancher Desktop'],
    [runtime && `${runtime}/docker.sock`, 'rootless Docker'],
    [runtime && `${runtime}/podman/podman.sock`, 'Podman (rootless)'],
    ['/run/podman/podman.sock', 'Podman'],
  ];
  const seen = new Set<string>();
  const endpoints: EngineEndpoint[] = [];
  for (const [path, source] of sockets) {
    if (path === null || seen.has(path)) continue;
    seen.add(path);
    endpoints.push(unixEndpoint(path, source));
  }
  return endpoints;
}

/** `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`, as the docker CLI writes DOCKER_HOST. */
export function parseDockerHost(value: string, env: EngineEnv = {}): EngineCandidates {
  const source = 'DOCKER_HOST';
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (path === '') return { kind: 'invalid', error: `DOCKER_HOST=${value} names no socket: write unix:///path/to/docker.sock` };
    return { kind: 'explicit', endpoint: unixEndpoint(path, source) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'tcp') {
    return { kind: 'invalid', error: `DOCKER_HOST=${value}: ${scheme}:// is not supported; use unix:// or tcp:// (for ssh, forward the socket: ssh -L /tmp/docker.sock:/var/run/docker.sock HOST)` };
  }
  // `tcp://host:port`, or a bare `host:port` as older clients accepted it.
  const m = /^(\[[^\]]+\]|[^/:\s[\]]+)(?::(\d+))?\/?$/.exec(scheme === undefined ? value : value.slice('tcp://'.length));
  if (m === null || m[1] === undefined) {
    return { kind: 'invalid', error: `DOCKER_HOST=${value} is not an engine address: write unix:///var/run/docker.sock or tcp://HOST:2375` };
  }
  const tlsVerify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  const port = m[2] === undefined ? (tlsVerify ? 2376 : 2375) : Number(m[2]);
  if (port < 1 || port > 65535) return { kind: 'invalid', error: `DOCKER_HOST=${value}: port ${m[2] ?? ''} is not between 1 and 65535` };
  // The docker CLI's rule: TLS when DOCKER_TLS_VERIFY is set; 2376 is the TLS port by convention.
  const tls = tlsVerify || port === 2376;
  const home = env.HOME !== undefined && env.HOME !== '' ? stripSlash(env.HOME) : null;
  const certPath = env.DOCKER_CERT_PATH !== undefined && env.DOCKER_CERT_PATH !== '' ? env.DOCKER_CERT_PATH : home && `${home}/.docker`;
  const host = m[1].replace(/^\[|\]$/g, '');
  const shown = host.includes(':') ? `[${host}]` : host;
  return { kind: 'explicit', endpoint: { kind: 'tcp', host, port, tls, certPath: tls ? certPath : null, display: `tcp://${shown}:${port}`, source } };
}

function unixEndpoint(socketPath: string, source: string): EngineEndpoint {
  return { kind: 'unix', socketPath, display: `unix://${socketPath}`, source };
}

function stripSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
