/**
 * The nginx profile in the offline commands: which profile routes each Ingress and why, the
 * locations ingress-nginx makes of a host in nginx.conf order, and the location that answers a
 * request with the ones that lost. Fixture: test/fixtures/nginx-rewrite (two Ingresses of class
 * nginx on one host, one with rewrite-target /$2, which makes every path of the host a regex).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixtures } from '../cli-harness.js';

const dir = path.join(fixtures, 'nginx-rewrite');
const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-nginx-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('nginx profile: routes, explain, check', () => {
  it('routes lists the host\'s nginx locations in order, says why every path is a regex, and which profile routes each Ingress', async () => {
    const r = await cli(['routes', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app.example.com  profile nginx: every path is a regex (Ingress default/app has nginx.ingress.kubernetes.io/rewrite-target: "/$2")');
    const order = [...r.stdout.matchAll(/location ~\* "\^([^"]*)"/g)].map((m) => m[1]);
    expect(order).toEqual(['/api(/|$)(.*)', '/docs/', '/docs/', '/']);
    expect(r.stdout).toMatch(/default\/app {2}nginx {2}ingressClassName nginx \(the class ingress-nginx installs/);
    const json = JSON.parse((await cli(['routes', dir, '--json'])).stdout) as { ingresses: { profile: string }[]; hosts: { profile: string; nginx: { regex: boolean; locations: { location: string; rewrite: string | null }[] } }[] };
    expect(json.ingresses.map((i) => i.profile)).toEqual(['nginx', 'nginx']);
    expect(json.hosts[0]?.nginx.locations[0]).toEqual({ location: 'location ~* "^/api(/|$)(.*)"', route: 'ingress:default/app#r0.p0', rewrite: '/$2', note: null, canary: null, affinity: null });
  });

  it('--profile spec routes the same folder by the specification', async () => {
    const r = await cli(['explain', 'http://app.example.com/API/users', dir, '--profile', 'spec', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'spec', status: 200, route: { id: 'ingress:default/web#r0.p0' }, upstreamPath: '/API/users', nginx: null });
    expect((await cli(['routes', dir, '--profile', 'gateway'])).stderr).toContain('--profile gateway: use auto, spec or nginx');
  });

  it('explain shows the location, the rewrite with its groups, the profile and why, and each location that lost', async () => {
    const r = await cli(['explain', 'http://app.example.com/API/users/1?x=2', dir]);
    expect(r.stdout).toContain('location  location ~* "^/api(/|$)(.*)"');
    expect(r.stdout).toContain('upstream  /users/1?x=2');
    expect(r.stdout).toContain('rewrite-target /$2: /API/users/1 → /users/1 ($1="/" $2="users/1")');
    expect(r.stdout).toContain('[nginx-later-regex] location ~* "^/" matches /API/users/1 too, but comes later in nginx\'s order');
    const json = JSON.parse((await cli(['explain', 'http://app.example.com/API/users/1?x=2', dir, '--json'])).stdout);
    expect(json).toMatchObject({ profile: 'nginx', nginx: { decision: 'location', uri: '/API/users/1', location: 'location ~* "^/api(/|$)(.*)"', rewrite: { to: '/users/1' } } });
  });

  it('explain of a trailing-slash redirect and of a path nginx refuses', async () => {
    cpSync(dir, path.join(temp, 'plain'), { recursive: true });
    // Without the rewrite Ingress the host is not a regex host: Prefix /docs/ redirects /docs.
    writeFileSync(path.join(temp, 'plain', 'app.yaml'), readFileSync(path.join(dir, 'app.yaml'), 'utf8').replace('nginx.ingress.kubernetes.io/rewrite-target: /$2', 'example.com/note: plain'));
    const r = await cli(['explain', 'http://app.example.com/docs?page=2', path.join(temp, 'plain')]);
    expect(r.stdout).toContain('301 → http://app.example.com/docs/?page=2  (nginx: location "/docs/" ends in /)');
    const bad = await cli(['explain', 'http://app.example.com/a/%zz', path.join(temp, 'plain')]);
    expect(bad.stdout).toContain('400 nginx refuses the path before routing it: "%zz" is not a percent-escape');
  });

  it('nginx: in ingress-dev.yaml is the controller ConfigMap: ssl-redirect "false" stops the https:// redirect, in check, explain and test alike', async () => {
    const folder = path.join(temp, 'configmap');
    cpSync(dir, folder, { recursive: true });
    writeFileSync(path.join(folder, 'app.yaml'), readFileSync(path.join(dir, 'app.yaml'), 'utf8').replace('spec:\n  ingressClassName: nginx\n  rules:\n    - host: app.example.com\n      http:\n        paths:\n          - {path: /,', 'spec:\n  ingressClassName: nginx\n  tls: [{hosts: [app.example.com]}]\n  rules:\n    - host: app.example.com\n      http:\n        paths:\n          - {path: /,'));
    expect(JSON.parse((await cli(['explain', 'http://app.example.com/x', folder, '--json'])).stdout)).toMatchObject({ status: 308, redirect: { location: 'https://app.example.com/x' } });
    writeFileSync(path.join(folder, 'ingress-dev.yaml'), 'nginx:\n  ssl-redirect: "false"\n  hsts: "true"\n');
    expect(JSON.parse((await cli(['explain', 'http://app.example.com/x', folder, '--json'])).stdout)).toMatchObject({ status: 200, redirect: null });
    const check = await cli(['check', folder]);
    expect(check.stdout).toContain('ingress-dev.yaml:3:9: warning W_CONFIG_UNSUPPORTED: nginx.hsts is not emulated: local routing ignores it');
  });
});
