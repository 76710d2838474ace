/**
 * `host:port` as a URL writes it: the port left out on the scheme's default (80 for http, 443 for
 * https), so that `up --port 80` prints `http://app.example.com.localhost/`, as a browser shows
 * it; an IPv6 address in brackets.
 */
export function authority(scheme: 'http' | 'https', host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === defaultPort(scheme) ? h : `${h}:${port}`;
}

export function defaultPort(scheme: 'http' | 'https'): number {
  return scheme === 'https' ? 443 : 80;
}
