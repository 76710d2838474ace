import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { matchRequest } from '../../src/routing/match.js';

// Redirect and upstream annotations of the nginx profile, from ingress-nginx v1.15.1's e2e tests
// (test/e2e/annotations/{approot,redirect,relativeredirects,forcesslredirect,xforwardedprefix,
// upstreamvhost}.go, test/e2e/ssl/http_redirect.go), its template (nginx.tmpl) and
// rootfs/etc/nginx/lua/lua_ingress.lua (the https:// redirect).

function table(annotations: Record<string, string>, o: { paths?: string[]; tls?: boolean; host?: string; config?: Record<string, string> } = {}): { table: RouteTable; codes: string[]; messages: string[] } {
  const host = o.host ?? 'a.example.com';
  const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  annotations:
${Object.entries({ 'kubernetes.io/ingress.class': 'nginx', ...annotations }).map(([k, v]) => `    ${k}: "${v}"`).join('\n')}
spec:
${o.tls === true ? `  tls: [{hosts: [${host}], secretName: missing-secret}]\n` : ''}  rules:
    - host: ${host}
      http:
        paths:
${(o.paths ?? ['/']).map((p) => `          - {path: "${p}", pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`).join('\n')}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`;
  const nginxConfig = Object.entries(o.config ?? {}).map(([key, value], i) => ({ key, value, at: { file: 'ingress-dev.yaml', line: i + 2, col: 3 } }));
  const compiled = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto', nginxConfig });
  return { table: compiled.value, codes: compiled.diagnostics.map((d) => d.code), messages: compiled.diagnostics.map((d) => d.message) };
}

function answer(t: RouteTable, path: string, o: { host?: string; scheme?: 'http' | 'https' } = {}): string {
  const m = matchRequest(t, { host: o.host ?? 'a.example.com', path, ...(o.scheme === undefined ? {} : { scheme: o.scheme }) });
  if (m.redirect !== null) return `${m.redirect.status} ${m.redirect.location}`;
  if (m.status !== 200) return String(m.status);
  const extra = (m.upstreamHeaders ?? []).map(([k, v]) => ` ${k}: ${v}`).join('');
  return `200 ${m.upstreamPath ?? ''}${m.upstreamHost === null || m.upstreamHost === undefined ? '' : ` Host: ${m.upstreamHost}`}${extra}`;
}

const ann = (name: string) => `nginx.ingress.kubernetes.io/${name}`;

describe('nginx profile: redirects', () => {
  it('app-root: / (only) gets 302 to the path, on the Host as sent, query dropped (approot.go)', () => {
    const { table: t } = table({ [ann('app-root')]: '/foo' });
    expect(answer(t, '/', { host: 'a.example.com' })).toBe('302 http://a.example.com/foo');
    expect(answer(t, '/?x=1', { host: 'a.example.com:8080' })).toBe('302 http://a.example.com:8080/foo');
    expect(answer(t, '/bar')).toBe('200 /bar');
  });

  it('permanent-redirect: the URL as written, 301 or permanent-redirect-code (redirect.go)', () => {
    expect(answer(table({ [ann('permanent-redirect')]: 'http://redirect.example.com' }, { paths: ['/something'] }).table, '/something/else?x=1')).toBe('301 http://redirect.example.com');
    expect(answer(table({ [ann('permanent-redirect')]: 'http://redirect.example.com', [ann('permanent-redirect-code')]: '308' }).table, '/')).toBe('308 http://redirect.example.com');
    expect(answer(table({ [ann('permanent-redirect')]: 'http://redirect.example.com', [ann('permanent-redirect-code')]: '200' }).table, '/')).toBe('301 http://redirect.example.com');
  });

  it('a relative redirect URL is made absolute without the port, unless relative-redirects (relativeredirects.go)', () => {
    expect(answer(table({ [ann('permanent-redirect')]: '/new-location' }, { host: 'rr.foo.com' }).table, '/', { host: 'rr.foo.com:8080' })).toBe('301 http://rr.foo.com/new-location');
    expect(answer(table({ [ann('permanent-redirect')]: '/new-location', [ann('relative-redirects')]: 'true' }).table, '/')).toBe('301 /new-location');
  });

  it('temporal-redirect wins over permanent-redirect; its code is 300–307, else 302; it must be http(s) (redirect.go Parse, isValidURL)', () => {
    const both = table({ [ann('permanent-redirect')]: 'http://p.example.com', [ann('temporal-redirect')]: 'https://t.example.com', [ann('temporal-redirect-code')]: '308' });
    expect(answer(both.table, '/')).toBe('302 https://t.example.com');
    const ftp = table({ [ann('temporal-redirect')]: 'ftp://t.example.com' });
    expect(answer(ftp.table, '/')).toBe('200 /');
    expect(ftp.codes).toContain('E_ANNOTATION_VALUE');
  });

  it('a redirect URL ingress-nginx refuses drops the whole Ingress, and says so', () => {
    const bad = table({ [ann('permanent-redirect')]: 'http://x.example.com/%41' });
    expect(answer(bad.table, '/')).toBe('404');
    expect(bad.messages.join('\n')).toContain('ingress-nginx does not serve this Ingress at all');
  });
});

describe('nginx profile: the https:// redirect (lua_ingress.lua redirect_to_https; e2e ssl/http_redirect.go)', () => {
  it('a host with spec.tls: plain HTTP gets 308 to https://HOST (no port) + the request URI, one trailing slash removed, even when the Secret is missing', () => {
    const { table: t } = table({}, { tls: true, paths: ['/'] });
    expect(answer(t, '/')).toBe('308 https://a.example.com');
    expect(answer(t, '/foo/', { host: 'a.example.com:8080' })).toBe('308 https://a.example.com/foo');
    expect(answer(t, '/p?x=1&y=2')).toBe('308 https://a.example.com/p?x=1&y=2');
    expect(answer(t, '/p/?q=/')).toBe('308 https://a.example.com/p/?q=');
    // Over HTTPS the request goes upstream.
    expect(answer(t, '/', { scheme: 'https' })).toBe('200 /');
  });

  it('ssl-redirect "false" turns it off; preserve-trailing-slash keeps the slash; force-ssl-redirect redirects without TLS (forcesslredirect.go)', () => {
    expect(answer(table({ [ann('ssl-redirect')]: 'false' }, { tls: true }).table, '/')).toBe('200 /');
    expect(answer(table({ [ann('preserve-trailing-slash')]: 'true' }, { tls: true }).table, '/foo/')).toBe('308 https://a.example.com/foo/');
    expect(answer(table({ [ann('force-ssl-redirect')]: 'true' }).table, '/')).toBe('308 https://a.example.com');
    expect(answer(table({}).table, '/')).toBe('200 /');
  });

  it('/.well-known/acme-challenge is exempt by the Ingress path, not the request path (no-tls-redirect-locations)', () => {
    const { table: t } = table({}, { tls: true, paths: ['/', '/.well-known/acme-challenge'] });
    expect(answer(t, '/.well-known/acme-challenge/token')).toBe('200 /.well-known/acme-challenge/token');
    const { table: rootOnly } = table({}, { tls: true, paths: ['/'] });
    expect(answer(rootOnly, '/.well-known/acme-challenge/token')).toBe('308 https://a.example.com/.well-known/acme-challenge/token');
  });

  it('permanent-redirect wins over the https:// redirect (the location\'s return runs before rewrite_by_lua)', () => {
    expect(answer(table({ [ann('permanent-redirect')]: 'https://z.example.com' }, { tls: true }).table, '/')).toBe('301 https://z.example.com');
  });
});

describe('nginx profile: what the backend receives', () => {
  it('upstream-vhost sets the Host header (upstreamvhost.go); x-forwarded-prefix only with a rewrite (xforwardedprefix.go)', () => {
    expect(answer(table({ [ann('upstream-vhost')]: 'upstreamvhost.bar.com' }).table, '/x')).toBe('200 /x Host: upstreamvhost.bar.com');
    expect(answer(table({ [ann('rewrite-target')]: '/foo', [ann('x-forwarded-prefix')]: '/test/value' }).table, '/')).toBe('200 /foo X-Forwarded-Prefix: /test/value');
    expect(answer(table({ [ann('x-forwarded-prefix')]: '/test/value' }).table, '/')).toBe('200 /');
  });
});

describe('nginx profile: annotations ingress-nginx refuses', () => {
  it('a snippet (risk Critical) makes ingress-nginx refuse the Ingress with its default annotations-risk-level High (annotations.go Extract, config.go)', () => {
    const t = table({ [ann('configuration-snippet')]: "more_set_headers 'X: y';" });
    expect(answer(t.table, '/x')).toBe('404');
    expect(t.codes).toContain('E_ANNOTATION_RISK');
  });
});

describe('nginx profile: the controller ConfigMap (nginx: in ingress-dev.yaml; config.go defaults)', () => {
  it('ssl-redirect, http-redirect-code, no-tls-redirect-locations and proxy-body-size change the defaults; a bad value keeps the default, with an error', () => {
    expect(answer(table({}, { tls: true, config: { 'ssl-redirect': 'false' } }).table, '/')).toBe('200 /');
    expect(answer(table({}, { tls: true, config: { 'http-redirect-code': '301' } }).table, '/x')).toBe('301 https://a.example.com/x');
    expect(answer(table({}, { tls: true, paths: ['/check'], config: { 'no-tls-redirect-locations': '/.well-known/acme-challenge, /check' } }).table, '/check')).toBe('200 /check');
    const limited = table({}, { config: { 'proxy-body-size': '2k' } });
    expect(matchRequest(limited.table, { host: 'a.example.com', path: '/' }).bodyLimit).toBe(2048);
    const bad = table({}, { tls: true, config: { 'http-redirect-code': '303', 'hsts': 'true', 'ssl-redirct': 'false' } });
    expect(answer(bad.table, '/')).toBe('308 https://a.example.com');
    expect(bad.codes).toEqual(['E_CONFIG', 'W_CONFIG_UNSUPPORTED', 'W_CONFIG_UNSUPPORTED']);
    expect(bad.messages[1]).toBe('nginx.hsts is not emulated: local routing ignores it');
  });

  it('annotations-risk-level Critical lets a snippet through; without allow-snippet-annotations ingress-nginx drops it', () => {
    const t = table({ [ann('configuration-snippet')]: "more_set_headers 'X: y';" }, { config: { 'annotations-risk-level': 'Critical' } });
    expect(answer(t.table, '/x')).toBe('200 /x');
    expect(t.messages.join('\n')).toContain('is dropped by ingress-nginx (allow-snippet-annotations is false)');
  });
});

describe("nginx profile: the controller ConfigMap found in the folder (deploy/static/provider/cloud/deploy.yaml: --configmap=$(POD_NAMESPACE)/ingress-nginx-controller)", () => {
  const ingress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: a-tls}]
  rules:
    - host: a.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`;
  const compile = (extra: string, nginxConfig: { key: string; value: string }[] = []) => {
    const compiled = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: ingress }, { file: 'controller.yaml', text: extra }]).resources,
      { profile: 'auto', nginxConfig: nginxConfig.map((e) => ({ ...e, at: { file: 'ingress-dev.yaml', line: 2, col: 3 } })) });
    return { table: compiled.value, diagnostics: compiled.diagnostics };
  };
  const controller = (configMapName: string, data: string) => `
apiVersion: v1
kind: ConfigMap
metadata: {name: ${configMapName}, namespace: ingress-nginx}
data:
${data}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec:
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.15.1
          args: [/nginx-ingress-controller, --election-id=ingress-nginx-leader, "--configmap=$(POD_NAMESPACE)/${configMapName}"]
`;

  it('the ConfigMap the controller Deployment names with --configmap is read: ssl-redirect "false" stops the https:// redirect', () => {
    const { table: t, diagnostics } = compile(controller('my-nginx-config', '  ssl-redirect: "false"\n  use-gzip: "true"\n  log-format-upstream: "$remote_addr"'));
    expect(answer(t, '/x')).toBe('200 /x');
    expect(t.nginxConfigMap).toMatchObject({ name: 'ingress-nginx/my-nginx-config', why: '--configmap of Deployment ingress-nginx/ingress-nginx-controller' });
    // Keys that change nginx itself, not routing, are named once, at the ConfigMap.
    const warning = diagnostics.find((d) => d.code === 'W_CONFIG_UNSUPPORTED');
    expect(warning?.message).toBe("ConfigMap ingress-nginx/my-nginx-config (the ingress-nginx controller's): use-gzip, log-format-upstream are not emulated; local routing ignores them");
    expect(warning?.file).toBe('controller.yaml');
  });

  it('without the Deployment, the ConfigMap named ingress-nginx-controller is read; nginx: in ingress-dev.yaml wins key by key', () => {
    const alone = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\ndata:\n  http-redirect-code: "301"\n  proxy-body-size: "8m"\n`;
    const { table: t } = compile(alone);
    expect(answer(t, '/x')).toBe('301 https://a.example.com/x');
    const { table: overridden } = compile(alone, [{ key: 'http-redirect-code', value: '302' }]);
    expect(answer(overridden, '/x')).toBe('302 https://a.example.com/x');
    expect(matchRequest(overridden, { host: 'a.example.com', path: '/', scheme: 'https' }).bodyLimit).toBe(8 * 1024 ** 2);
  });

  it('a bad value in the folder ConfigMap is an error at the ConfigMap, and the default is kept', () => {
    const { table: t, diagnostics } = compile(controller('ingress-nginx-controller', '  http-redirect-code: "303"'));
    expect(answer(t, '/x')).toBe('308 https://a.example.com/x');
    expect(diagnostics.find((d) => d.code === 'E_CONFIG')?.message).toBe('ConfigMap ingress-nginx/ingress-nginx-controller: http-redirect-code "303" is not 301, 302, 307 or 308; 308 is kept');
  });

  it('another ConfigMap (an app\'s) is not taken for the controller\'s', () => {
    const { table: t } = compile('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  ssl-redirect: "false"\n');
    expect(answer(t, '/x')).toBe('308 https://a.example.com/x');
    expect(t.nginxConfigMap).toBeNull();
  });
});

describe('nginx profile: from-to-www-redirect (test/e2e/annotations/fromtowwwredirect.go, ngx_srv_redirect.lua)', () => {
  it('the www. twin answers http-redirect-code (308) to the host with the port, one trailing slash removed; the host itself is served', () => {
    const { table: t } = table({ [ann('from-to-www-redirect')]: 'true' }, { host: 'fromtowwwredirect.bar.com' });
    const m = matchRequest(t, { host: 'www.fromtowwwredirect.bar.com', path: '/foo' });
    expect([m.status, m.redirect?.location]).toEqual([308, 'http://fromtowwwredirect.bar.com:80/foo']);
    expect(matchRequest(t, { host: 'www.fromtowwwredirect.bar.com', path: '/', scheme: 'https' }).redirect?.location).toBe('https://fromtowwwredirect.bar.com:443');
    expect(matchRequest(t, { host: 'www.fromtowwwredirect.bar.com', path: '/a/?x=1', port: 8080 }).redirect?.location).toBe('http://fromtowwwredirect.bar.com:8080/a/?x=1');
    expect(answer(t, '/foo', { host: 'fromtowwwredirect.bar.com' })).toBe('200 /foo');
  });

  it('a www. host redirects from its bare twin (BuildRedirects)', () => {
    const { table: t } = table({ [ann('from-to-www-redirect')]: 'true' }, { host: 'www.example.com' });
    expect(matchRequest(t, { host: 'example.com', path: '/x' }).redirect?.location).toBe('http://www.example.com:80/x');
    const both = table({ [ann('from-to-www-redirect')]: 'true' }, { host: 'www.example.com' });
    expect(both.table.exactHosts.get('example.com')?.nginx?.redirectTo?.host).toBe('www.example.com');
  });

  it('a value that is not a boolean makes ingress-nginx drop the Ingress (ValidateBool)', () => {
    const t = table({ [ann('from-to-www-redirect')]: 'yes' });
    expect(answer(t.table, '/')).toBe('404');
    expect(t.codes).toContain('E_ANNOTATION_VALUE');
  });
});

describe('nginx profile: backend-protocol, service-upstream, client-body-buffer-size', () => {
  it('backend-protocol GRPC is warned as not emulated; a bad value is an error and HTTP is used (backendprotocol/main.go)', () => {
    expect(table({ [ann('backend-protocol')]: 'GRPC' }).codes).toEqual(['W_ANNOTATION_NOT_EMULATED']);
    const bad = table({ [ann('backend-protocol')]: 'h2' });
    expect(answer(bad.table, '/')).toBe('200 /');
    expect(bad.messages[0]).toContain('ingress-nginx uses HTTP, and so does ingress-dev');
    expect(matchRequest(table({ [ann('backend-protocol')]: 'HTTPS' }).table, { host: 'a.example.com', path: '/' }).backendProtocol).toBe('HTTPS');
  });

  it('client-body-buffer-size is checked: 1m is fine, a value that is not a size drops the Ingress (clientbodybuffersize.go); service-upstream has no local effect', () => {
    expect(table({ [ann('client-body-buffer-size')]: '1m', [ann('service-upstream')]: 'true' }).codes).toEqual([]);
    expect(answer(table({ [ann('client-body-buffer-size')]: 'lots' }).table, '/')).toBe('404');
  });
});
