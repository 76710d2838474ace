/**
 * Issue 14, "Build images, as compose build: does": `up --run` builds the images named under
 * build: in ingress-dev.yaml (dockerode's buildImage, the context tarred with its
 * .dockerignore), shows the builder's progress, rebuilds on a change in the context and rolls the
 * workload onto the new image; a failed build is a workload problem with the builder's lines, and
 * the last good containers keep serving. The Dockerfile builds on the offline test image.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../cli-harness.js';
import { startUp } from '../up-harness.js';
import { docker, runId, useProjectFolder, waitFor } from './harness.js';

const { dir } = useProjectFolder('build');
const image = `ingress-dev-build-test/web-${runId}`;
afterAll(async () => {
  // The images this file built (every tag of the repository), whatever the test left.
  const ids = (await docker('images', '-q', image).catch(() => '')).split('\n').filter((id) => id !== '');
  if (ids.length > 0) await docker('rmi', '-f', ...new Set(ids)).catch(() => undefined);
}, 60_000);

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ${image}:dev
          ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

function get(port: number, file: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: `/${file}`, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

describe.sequential('build: in ingress-dev.yaml with up --run', () => {
  it('builds the image from its context before starting (the .dockerignore applied), rebuilds on a change and rolls the workload onto it', async () => {
    write('app.yaml', manifests);
    write('ingress-dev.yaml', `build:\n  images:\n    ${image}: ./web\n`);
    // The context: test/fixtures/build/web (a Dockerfile on the offline test image, a .dockerignore).
    cpSync(path.join(repoRoot, 'test/fixtures/build/web'), path.join(dir, 'web'), { recursive: true });
    const up = await startUp([dir, '--port', '0', '--run', '--no-https']);
    try {
      await up.waitFor(new RegExp(`Deployment default/web: building ${image}:dev: Step 2/\\d+ : COPY \\. /www/`), 60_000);
      await up.waitFor(new RegExp(`Deployment default/web: built ${image}:dev in \\d+\\.\\d s`), 60_000);
      await waitFor('the built image to answer', async () => ((await get(up.port, '')).body === 'version one\n' ? true : undefined), 30_000);
      expect((await get(up.port, 'secret.txt')).status).toBe(404);
      expect((await get(up.port, 'index.html')).status).toBe(200);
      const labels = JSON.parse(await docker('image', 'inspect', '-f', '{{json .Config.Labels}}', `${image}:dev`)) as Record<string, string>;
      expect(labels['ingress-dev.context-digest']).toMatch(/^[0-9a-f]{32}$/);

      // A file of the context changes: the image is built again and the Deployment rolls onto it.
      const firstId = await docker('image', 'inspect', '-f', '{{.Id}}', `${image}:dev`);
      write('web/index.html', 'version two\n');
      await up.waitFor(/Deployment default\/web: updated /, 60_000);
      await waitFor('the new image to answer', async () => ((await get(up.port, '')).body === 'version two\n' ? true : undefined), 30_000);
      // The build it replaced is removed once its container is gone: no pile of <none> images.
      await waitFor('the replaced build to be removed', async () => ((await docker('image', 'inspect', firstId).then(() => false, () => true)) ? true : undefined), 60_000);

      // A Dockerfile that fails: a workload problem with the builder's own lines; version two keeps serving.
      write('web/Dockerfile', 'FROM ingress-dev-test/httpd\nRUN exit 3\n');
      const failed = await up.waitFor(/ingress-dev\.yaml:3:5: error E_IMAGE_BUILD: build \S+: the build of \S+ failed: The command '\/bin\/sh -c exit 3' returned a non-zero code: 3\n {2}hint: The builder's last lines:\n(?: {8}.*\n)+/, 60_000);
      expect(failed[0]).toContain('Step 2/');
      expect(failed[0]).toContain('RUN exit 3');
      expect((await get(up.port, '')).body).toBe('version two\n');

      // Fixed: built again.
      write('web/Dockerfile', 'FROM ingress-dev-test/httpd\nCOPY . /www/\n');
      write('web/index.html', 'version three\n');
      await waitFor('the fixed image to answer', async () => ((await get(up.port, '')).body === 'version three\n' ? true : undefined), 60_000);
    } finally {
      expect(await up.stop()).toBe(130);
    }
  }, 240_000);

  it('build.watch: false builds at start only: a change in the context then builds nothing', async () => {
    write('app.yaml', manifests);
    write('ingress-dev.yaml', `build:\n  watch: false\n  images:\n    ${image}: ./web\n`);
    cpSync(path.join(repoRoot, 'test/fixtures/build/web'), path.join(dir, 'web'), { recursive: true });
    write('web/index.html', 'version three\n');
    const up = await startUp([dir, '--port', '0', '--run', '--no-https']);
    try {
      await up.waitFor(/Deployment default\/web: created/, 60_000);
      write('web/index.html', 'not built\n');
      // A manifest saved after the context's file (a ConfigMap no workload reads): its reload is
      // the sign that both changes were seen.
      write('app.yaml', `${manifests}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: marker}\ndata: {saved: "yes"}\n`);
      await up.waitFor(/reloaded in \d+ms/, 30_000);
      // Built at start when this test runs alone; never after the change.
      const log = up.stderr() + up.stdout();
      expect(log.slice(log.indexOf('Deployment default/web: created'))).not.toContain('building');
    } finally {
      await up.stop();
    }
    write('web/index.html', 'version three\n');
    write('app.yaml', manifests);
    write('ingress-dev.yaml', `build:\n  images:\n    ${image}: ./web\n`);
  }, 120_000);

  it('a start with nothing changed builds nothing; --build builds anyway; --no-build never', async () => {
    const again = await startUp([dir, '--port', '0', '--run', '--no-https', '--no-watch']);
    try {
      await again.waitFor(/Deployment default\/web: created/, 60_000);
      expect(again.stderr() + again.stdout()).not.toContain('building');
    } finally {
      await again.stop();
    }
    const forced = await startUp([dir, '--port', '0', '--run', '--no-https', '--no-watch', '--build']);
    try {
      await forced.waitFor(new RegExp(`built ${image}:dev in`), 60_000);
    } finally {
      await forced.stop();
    }
    write('web/index.html', 'version four\n');
    const never = await startUp([dir, '--port', '0', '--run', '--no-https', '--no-watch', '--no-build']);
    try {
      await never.waitFor(/Deployment default\/web: created/, 60_000);
      await waitFor('the last built image to answer', async () => ((await get(never.port, '')).body === 'version three\n' ? true : undefined), 30_000);
      expect(never.stderr() + never.stdout()).not.toContain('building');
    } finally {
      await never.stop();
    }
  }, 240_000);
});
