/** nginx `proxy_pass` with upstream keep-alive, for comparison, when nginx is installed. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunningNginx {
  readonly port: number;
  /** The master process; its worker is its child. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** nginx 1.25.1 and later take `http2 on;` (and warn about `listen … http2`); earlier ones only the latter. */
function http2OnDirective(): boolean {
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '');
  if (version === null) return true;
  const [major, minor, patch] = [Number(version[1]), Number(version[2]), Number(version[3])];
  return major > 1 || minor > 25 || (minor === 25 && patch >= 1);
}

export function nginxInstalled(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
}

/**
 * One worker (the Node proxy is one thread too), the forwarding headers ingress-nginx sets, and
 * its `proxy-buffering: off` default.
 */
export function startNginx(port: number, upstreamPort: number, tls?: { readonly certFile: string; readonly keyFile: string }): RunningNginx {
  const dir = mkdtempSync(path.join(tmpdir(), 'ingress-dev-bench-nginx-'));
  for (const sub of ['body', 'proxy']) mkdirSync(path.join(dir, sub));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port}${tls === undefined ? '' : http2OnDirective() ? ' ssl' : ' ssl http2'};
${tls === undefined ? '' : `${http2OnDirective() ? '    http2 on;\n' : ''}    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};
`}    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    port,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGQUIT');
      }),
  };
}
