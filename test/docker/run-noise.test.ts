/**
 * Issue 10 item 12: with `--run`, each fact is said once, and again only when it changes. An
 * image that cannot be pulled is printed once (never with a doubled prefix), is not pulled
 * again after unrelated saves, and an ordinary `port: 80 → targetPort: 3000` Service is not a
 * warning.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp } from '../up-harness.js';
import { removeProjectResources, startEngine, webWorkloadYaml } from './harness.js';

const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-noise-')));
const missing = 'ingress-dev-test/no-such-image:1';

beforeAll(startEngine, 120_000);
afterAll(async () => {
  await removeProjectResources(dir);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function workloads(greeting: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: admin}
spec:
  selector: {matchLabels: {app: admin}}
  template:
    metadata: {labels: {app: admin}}
    spec:
      containers: [{name: admin, image: "${missing}"}]
---
${webWorkloadYaml(greeting)}`;
}

function ingress(prefix: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - http:
        paths:
          - {path: ${prefix}, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
}

const count = (text: string, what: string): number => text.split(what).length - 1;

describe.sequential('up --run says each fact once', () => {
  it('a failed pull once, not again after unrelated saves; no warning for an ordinary targetPort (issue 10 item 12)', async () => {
    writeFileSync(path.join(dir, 'workloads.yaml'), workloads('one'));
    writeFileSync(path.join(dir, 'ingress.yaml'), ingress('/a'));
    const up = await startUp([dir, '--port', '0', '--run']);
    try {
      await up.waitFor(/Deployment default\/web: created/, 30_000);
      await up.waitFor(/could not be pulled/, 30_000);
      // Two saves that do not touch the admin Deployment: an Ingress edit, then one of another workload.
      writeFileSync(path.join(dir, 'ingress.yaml'), ingress('/b'));
      await up.waitFor(/reloaded in .*ingress\.yaml/, 10_000);
      writeFileSync(path.join(dir, 'workloads.yaml'), workloads('two'));
      // Applies run one after the other: once web is updated, the Ingress save's apply is done too.
      await up.waitFor(/Deployment default\/web: updated/, 30_000);
      const out = up.stderr();
      expect(out).not.toMatch(/(Deployment default\/admin: ){2}/);
      expect(count(out, `pulling ${missing}`)).toBe(1);
      expect(count(out, 'could not be pulled')).toBe(1);
      expect(out).not.toContain('W_SERVICE_PORT_REMAPPED');
      expect(out).not.toMatch(/not reachable/);
    } finally {
      await up.stop();
    }
  }, 90_000);
});
