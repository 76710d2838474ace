/**
 * `ingress-dev diff` (issue 15): the five behaviors of the Kubernetes blog "Before You Migrate:
 * Five Surprising Ingress-NGINX Behaviors You Need to Know" (2026-02-27), each with the blog's
 * Ingresses (OLD) and the naive HTTPRoute conversion it warns about (NEW): the difference group
 * the blog describes is found, and the blog's fix makes it go away.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-diff-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const httpbin = 'apiVersion: v1\nkind: Service\nmetadata: {name: httpbin}\nspec: {ports: [{port: 8000}]}\n';

function folder(name: string, yaml: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifests.yaml'), `${httpbin}---\n${yaml}`);
  return dir;
}

const ingress = (name: string, host: string, pathValue: string, pathType: string, annotations = '') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${annotations === '' ? '' : `  annotations:\n${annotations}`}spec:
  ingressClassName: nginx
  rules:
  - host: ${host}
    http:
      paths:
      - path: "${pathValue}"
        pathType: ${pathType}
        backend:
          service:
            name: httpbin
            port:
              number: 8000
`;

const route = (name: string, host: string, rules: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
spec:
  hostnames:
  - ${host}
  rules:
${rules}`;

const rule = (type: string, value: string, extra = '') => `  - matches:
    - path:
        type: ${type}
        value: "${value}"
${extra}    backendRefs:
    - name: httpbin
      port: 8000
`;

interface Json {
  readonly requests: number;
  readonly differences: number;
  readonly groups: readonly { readonly cause: string; readonly count: number; readonly example: { readonly request: string }; readonly requests: readonly string[] }[];
  readonly unsupported: readonly { readonly feature: string }[];
}

async function diff(oldDir: string, newDir: string, ...more: string[]): Promise<{ code: number; json: Json }> {
  const r = await cli(['diff', oldDir, newDir, '--implicit-gateway', '--json', ...more]);
  return { code: r.code, json: JSON.parse(r.stdout) as Json };
}

const causes = (j: Json) => j.groups.map((g) => g.cause);

describe('the five behaviors of "Before You Migrate" (Kubernetes blog, 2026-02-27)', () => {
  it('1. regex matches are prefix-based and case insensitive: /uuid reaches httpbin through /[A-Z]{3} in OLD only; (?i)/[a-z]{3}.* keeps it', async () => {
    const old = folder('1-old', ingress('regex-match-ingress', 'regex-match.example.com', '/[A-Z]{3}', 'ImplementationSpecific', '    nginx.ingress.kubernetes.io/use-regex: "true"\n'));
    const naive = folder('1-new', route('regex-match-route', 'regex-match.example.com', rule('RegularExpression', '/[A-Z]{3}')));
    const { code, json } = await diff(old, naive);
    expect(code).toBe(1);
    expect(causes(json)).toContain('paths of regex-match.example.com match in any letter case in OLD only (ingress-nginx regex: Ingress default/regex-match-ingress has nginx.ingress.kubernetes.io/use-regex: "true")');
    expect(causes(json)).toContain('paths of regex-match.example.com match as a prefix of the path in OLD only (ingress-nginx regex: Ingress default/regex-match-ingress has nginx.ingress.kubernetes.io/use-regex: "true")');
    const fixed = folder('1-fixed', route('regex-match-route', 'regex-match.example.com', rule('RegularExpression', '(?i)/[a-z]{3}.*')));
    expect(causes((await diff(old, fixed)).json).filter((c) => c.includes('regex'))).toEqual([]);
  });

  it('2. use-regex applies to every path of the host across Ingresses: Exact /Header takes /headers in OLD only', async () => {
    const old = folder('2-old', `${ingress('regex-match-ingress', 'regex-match.example.com', '/anything/[0-9]+', 'ImplementationSpecific', '    nginx.ingress.kubernetes.io/use-regex: "true"\n')}---\n${ingress('regex-match-ingress-other', 'regex-match.example.com', '/Header', 'Exact')}`);
    const naive = folder('2-new', route('regex-match-route', 'regex-match.example.com', rule('RegularExpression', '/anything/[0-9]+') + rule('Exact', '/Header')));
    // The blog's request, /headers, given as a route test: it routes differently, as a regex effect.
    writeFileSync(path.join(root, 'blog-2.test.yaml'), 'tests:\n  - request: http://regex-match.example.com/headers\n    expect: {status: 200}\n');
    const { json } = await diff(old, naive, '--tests', path.join(root, 'blog-2.test.yaml'));
    const group = json.groups.find((g) => g.requests.includes('GET http://regex-match.example.com/headers'));
    expect(group?.cause).toBe('paths of regex-match.example.com are regular expressions in OLD only (Ingress default/regex-match-ingress has nginx.ingress.kubernetes.io/use-regex: "true")');
    expect(causes(json)).toContain('paths of regex-match.example.com match in any letter case in OLD only (ingress-nginx regex: Ingress default/regex-match-ingress has nginx.ingress.kubernetes.io/use-regex: "true")');
    const fixed = folder('2-fixed', route('regex-match-route', 'regex-match.example.com', rule('RegularExpression', '(?i)/anything/[0-9]+.*') + rule('RegularExpression', '(?i)/Header.*')));
    expect(causes((await diff(old, fixed)).json).filter((c) => c.includes('regex'))).toEqual([]);
  });

  it('3. rewrite-target implies regex: /IP (rewritten to /uuid) and /Header match /ip and /headers in OLD only', async () => {
    const old = folder('3-old', `${ingress('rewrite-target-ingress', 'rewrite-target.example.com', '/IP', 'Exact', '    nginx.ingress.kubernetes.io/rewrite-target: "/uuid"\n')}---\n${ingress('rewrite-target-ingress-other', 'rewrite-target.example.com', '/Header', 'Exact')}`);
    const naive = folder('3-new', route('rewrite-target-route', 'rewrite-target.example.com',
      rule('Exact', '/IP', '    filters:\n    - type: URLRewrite\n      urlRewrite:\n        path:\n          type: ReplaceFullPath\n          replaceFullPath: /uuid\n') + rule('Exact', '/Header')));
    const { json } = await diff(old, naive);
    expect(causes(json)).toContain('paths of rewrite-target.example.com match in any letter case in OLD only (ingress-nginx regex: Ingress default/rewrite-target-ingress has nginx.ingress.kubernetes.io/rewrite-target: "/uuid")');
    const fixed = folder('3-fixed', route('rewrite-target-route', 'rewrite-target.example.com',
      rule('RegularExpression', '(?i)/IP.*', '    filters:\n    - type: URLRewrite\n      urlRewrite:\n        path:\n          type: ReplaceFullPath\n          replaceFullPath: /uuid\n') + rule('RegularExpression', '(?i)/Header.*')));
    expect(causes((await diff(old, fixed)).json).filter((c) => c.includes('regex'))).toEqual([]);
  });

  it('4. a request missing the trailing slash is redirected in OLD only; a RequestRedirect rule keeps it', async () => {
    const old = folder('4-old', ingress('trailing-slash-ingress', 'trailing-slash.example.com', '/my-path/', 'Exact'));
    const naive = folder('4-new', route('trailing-slash-route', 'trailing-slash.example.com', rule('Exact', '/my-path/')));
    const { json } = await diff(old, naive);
    const group = json.groups.find((g) => g.cause.startsWith('trailing-slash 301 in OLD only'));
    expect(group?.example.request).toBe('GET http://trailing-slash.example.com/my-path');
    const fixed = folder('4-fixed', route('trailing-slash-route', 'trailing-slash.example.com',
      '  - matches:\n    - path:\n        type: Exact\n        value: /my-path\n    filters:\n    - type: RequestRedirect\n      requestRedirect:\n        statusCode: 301\n        path:\n          type: ReplaceFullPath\n          replaceFullPath: /my-path/\n' + rule('Exact', '/my-path/')));
    expect(causes((await diff(old, fixed)).json).filter((c) => c.startsWith('trailing-slash'))).toEqual([]);
  });

  it('5. ingress-nginx normalizes URLs: //uuid is routed in OLD only, /x/../uuid reaches the backend as sent in OLD and resolved in NEW', async () => {
    const old = folder('5-old', ingress('path-normalization-ingress', 'path-normalization.example.com', '/uuid', 'Exact'));
    const naive = folder('5-new', route('path-normalization-route', 'path-normalization.example.com', rule('Exact', '/uuid')));
    const { json } = await diff(old, naive);
    expect(causes(json)).toEqual([
      'a path with doubled slashes (//path) is routed in OLD only (ingress-nginx merges slashes before matching; Envoy-based Gateways do not)',
      'a path with dot segments (/x/../path) is forwarded as sent in OLD, resolved in NEW',
    ]);
  });
});

describe('diff, as a user runs it', () => {
  const a = folder('same-a', ingress('web', 'app.example.com', '/', 'Prefix'));

  it('no differences: exit 0 and says so; the count of requests is printed', async () => {
    const r = await cli(['diff', a, a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Compared \d+ requests between .* \(OLD\) and .* \(NEW\)/);
    expect(r.stdout).toContain('✓ no differences');
  });

  it('the same folder under another profile: what changes if these Ingresses move to a controller that follows the spec', async () => {
    const old = folder('profile', ingress('trailing-slash-ingress', 'trailing-slash.example.com', '/my-path/', 'Exact'));
    const r = await cli(['diff', old, old, '--old-profile', 'nginx', '--new-profile', 'spec']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('trailing-slash 301 in OLD only');
    expect(r.stdout).toMatch(/OLD {2}301 → http:\/\/trailing-slash\.example\.com\/my-path\/ {2}ingress:default\/trailing-slash-ingress#r0\.p0 {2}\S+manifests\.yaml:\d+/);
  });

  it('--map-service takes a rename for no difference; a backend that changes is a difference', async () => {
    const renamed = folder('renamed', `apiVersion: v1\nkind: Service\nmetadata: {name: httpbin-v2}\nspec: {ports: [{port: 8000}]}\n---\n${ingress('web', 'app.example.com', '/', 'Prefix').replace('name: httpbin', 'name: httpbin-v2')}`);
    const changed = await cli(['diff', a, renamed, '--json']);
    expect(changed.code).toBe(1);
    expect((JSON.parse(changed.stdout) as Json).groups[0]?.cause).toBe('another backend on app.example.com: default/httpbin:8000 in OLD, default/httpbin-v2:8000 in NEW');
    expect((await cli(['diff', a, renamed, '--map-service', 'httpbin=httpbin-v2'])).code).toBe(0);
  });

  it('--tests adds the requests of a route test file; annotations NEW cannot express are listed', async () => {
    const old = folder('tests-old', ingress('web', 'app.example.com', '/', 'Prefix', '    nginx.ingress.kubernetes.io/proxy-body-size: "8m"\n'));
    const gw = folder('tests-new', route('web', 'app.example.com', rule('PathPrefix', '/api')));
    writeFileSync(path.join(root, 'routes.test.yaml'), 'tests:\n  - name: the home page\n    request: http://app.example.com/home/index.html\n    expect: {status: 200}\n');
    const r = await cli(['diff', old, gw, '--implicit-gateway', '--tests', path.join(root, 'routes.test.yaml')]);
    expect(r.stdout).toContain('and 1 from --tests');
    expect(r.stdout).toMatch(/In OLD with nothing like it in NEW:\n {4}nginx\.ingress\.kubernetes\.io\/proxy-body-size: "8m" \(no Gateway API equivalent\) {2}default\/web; \d+ requests to app\.example\.com/);
    const { json } = await diff(old, gw, '--tests', path.join(root, 'routes.test.yaml'));
    expect(json.groups.find((g) => g.requests.includes('GET http://app.example.com/home/index.html'))?.cause).toBe('requests to app.example.com that OLD routes get 404 from NEW');
    expect(json.unsupported.map((u) => u.feature)).toEqual(['nginx.ingress.kubernetes.io/proxy-body-size: "8m"']);
  });

  it('a wildcard host: an Ingress wildcard matches one label, a Gateway API one one or more (the Ingress spec; httproute_types.go Hostnames)', async () => {
    const old = folder('wild-old', ingress('wild', '"*.shop.example.com"', '/', 'Prefix'));
    const gw = folder('wild-new', route('wild', '"*.shop.example.com"', rule('PathPrefix', '/')));
    const { json } = await diff(old, gw);
    const group = json.groups.find((g) => g.cause.startsWith('a wildcard host matches two labels in NEW only'));
    expect(group?.example.request, JSON.stringify(causes(json))).toBe('GET http://a.b.shop.example.com/');
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v kubectl || command -v kustomize'], { encoding: 'utf8' }).status !== 0)('a side may be a render: kustomize:DIR', async () => {
    const base = folder('kz-base', ingress('web', 'app.example.com', '/', 'Prefix'));
    writeFileSync(path.join(base, 'kustomization.yaml'), 'resources: [manifests.yaml]\n');
    const r = await cli(['diff', `kustomize:${base}`, a]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`between kustomize:${base} (OLD)`);
  });

  it('a side that cannot be rendered stops the comparison with the reason (exit 2); other errors are said and left out', async () => {
    const broken = folder('kz-broken', '');
    writeFileSync(path.join(broken, 'kustomization.yaml'), 'resources: [not-there.yaml]\n');
    const r = await cli(['diff', `kustomize:${broken}`, a]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error E_RENDER_FAILED');
    expect(r.stderr).toContain('ingress-dev diff: OLD could not be read; nothing was compared');
    const invalid = folder('invalid-path', ingress('bad', 'app.example.com', 'no-slash', 'Prefix'));
    const partly = await cli(['diff', invalid, a]);
    expect(partly.stderr).toContain('OLD (');
    expect(partly.stderr).toContain('has 1 error; what they concern is left out of the comparison:');
  });

  it('mistakes: a missing side, a bad profile, a bad --map-service are usage errors', async () => {
    expect((await cli(['diff', a, path.join(root, 'nope')])).stderr).toContain('no such file or folder');
    expect((await cli(['diff', a, a, '--new-profile', 'traefik'])).stderr).toContain('--new-profile traefik: use auto, spec or nginx');
    expect((await cli(['diff', a, a, '--map-service', 'x'])).stderr).toContain('--map-service x: write OLD=NEW');
  });
});
