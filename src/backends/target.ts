import type { Target } from './types.js';

export type ParsedTarget = { readonly ok: true; readonly target: Target } | { readonly ok: false; readonly error: string };

const usage = 'a TARGET is 3000, host:port, http://host:port, https://host:port or echo';

/**
 * Parse a mapping target as written after `--map SERVICE=` or in the config file:
 * `3000` (127.0.0.1:3000), `host:port`, `http://host:port`, `https://host:port`, or `echo`.
 */
export function parseTarget(text: string): ParsedTarget {
  const raw = text.trim();
  if (raw === 'echo') return { ok: true, target: { kind: 'echo' } };
  if (/^(container|compose):/.test(raw)) {
    return { ok: false, error: `"${raw}": Docker targets are not supported yet; map the Service to the port the container publishes (for example 127.0.0.1:8080)` };
  }
  if (/^\d+$/.test(raw)) return httpTarget('http:', '127.0.0.1', raw, raw);
  const url = /^(https?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?\/?$/i.exec(raw);
  if (url !== null) {
    const protocol = (url[1] ?? 'http').toLowerCase() === 'https' ? 'https:' : 'http:';
    return httpTarget(protocol, url[2] ?? '', url[3] ?? (protocol === 'https:' ? '443' : '80'), raw);
  }
  if (/^[a-z]+:\/\//i.test(raw)) return { ok: false, error: `"${raw}": only http:// and https:// targets are supported, without a path` };
  const hostPort = /^(\[[^\]]+\]|[^/:?#\s]+):(\d+)$/.exec(raw);
  if (hostPort !== null) return httpTarget('http:', hostPort[1] ?? '', hostPort[2] ?? '', raw);
  return { ok: false, error: `"${raw}" is not a target: ${usage}` };
}

function httpTarget(protocol: 'http:' | 'https:', host: string, portText: string, raw: string): ParsedTarget {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `"${raw}": port ${portText} is not between 1 and 65535` };
  if (host === '') return { ok: false, error: `"${raw}": the host is empty` };
  return { ok: true, target: { kind: 'http', protocol, host, port, origin: `${protocol}//${host}:${port}` } };
}

/** A Service reference in a mapping: `[NAMESPACE/]SERVICE[:PORT]`. */
export interface ServiceSelector {
  readonly namespace: string | null;
  readonly service: string;
  /** A service port number or name; null for every port. */
  readonly port: string | null;
}

export function parseServiceSelector(text: string): ServiceSelector | null {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?::([a-z0-9-]+))?$/i.exec(text.trim());
  if (m === null || m[3] === undefined) return null;
  return { namespace: m[1] ?? null, service: m[3], port: m[5] ?? null };
}

/** `--map SERVICE[:PORT]=TARGET` → a selector and a target, or why not. */
export function parseMapFlag(text: string): { ok: true; selector: ServiceSelector; target: Target } | { ok: false; error: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) return { ok: false, error: `--map "${text}": write SERVICE[:PORT]=TARGET, for example --map web=3000` };
  const selector = parseServiceSelector(text.slice(0, eq));
  if (selector === null) return { ok: false, error: `--map "${text}": "${text.slice(0, eq)}" is not [NAMESPACE/]SERVICE[:PORT]` };
  const target = parseTarget(text.slice(eq + 1));
  if (!target.ok) return { ok: false, error: `--map ${text}: ${target.error}` };
  return { ok: true, selector, target: target.target };
}
