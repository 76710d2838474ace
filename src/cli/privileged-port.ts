import { readFileSync } from 'node:fs';

/**
 * What to do when a port below 1024 may not be opened (EACCES): the platform's own ways to allow
 * it, exactly, as portless and Caddy document them. Pure apart from `readUnprivilegedPortStart`.
 */
export interface PrivilegedPortCase {
  readonly platform: NodeJS.Platform;
  readonly host: string;
  /** The ports asked for that are privileged here (80, 443). */
  readonly ports: readonly number[];
  /** Linux's net.ipv4.ip_unprivileged_port_start, when it could be read. */
  readonly unprivilegedPortStart: number | null;
  /** The node binary that runs ingress-dev (for setcap). */
  readonly nodePath: string;
}

export function privilegedPortAdvice(c: PrivilegedPortCase): string[] {
  const lowest = Math.min(...c.ports);
  const ports = c.ports.join(' and ');
  const fallback = 'or leave the ports as they are: http://app.example.com.localhost:8080/ works in every browser without either';
  if (c.platform === 'linux') {
    const start = c.unprivilegedPortStart;
    return [
      `ports below ${start ?? 1024} need privileges on Linux${start === null ? '' : ` (net.ipv4.ip_unprivileged_port_start = ${start})`}: only root or a program with CAP_NET_BIND_SERVICE may listen on ${ports}. Either:`,
      `  sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${lowest}`,
      `    (until the next boot; to keep it: echo 'net.ipv4.ip_unprivileged_port_start=${lowest}' | sudo tee /etc/sysctl.d/50-ingress-dev.conf)`,
      `  sudo setcap cap_net_bind_service=+ep ${c.nodePath}`,
      '    (lets every program this node runs open low ports; undone by reinstalling node)',
      `  ${fallback}`,
    ];
  }
  if (c.platform === 'darwin') {
    // Since Mojave a user may open ports below 1024 on every address, not on one address such as 127.0.0.1.
    const anyAddress = c.host !== '0.0.0.0' && c.host !== '::';
    return [
      `macOS lets a user listen on ${ports} on every address, not on ${c.host} alone. Either:`,
      ...(anyAddress ? ['  add --host 0.0.0.0 (ingress-dev is then reachable from the network: use it on a trusted one)'] : []),
      '  run it with sudo',
      `  ${fallback}`,
    ];
  }
  return [`${ports} may need administrator rights on this system: run it as administrator, ${fallback}`];
}

/** net.ipv4.ip_unprivileged_port_start on Linux; null elsewhere or when unreadable. */
export function readUnprivilegedPortStart(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}
