/**
 * Issue 10 item 15: a replica killed under `up --run` is started again (the engine's restart
 * policy does not restart what `docker kill` stopped), and the log says the real exit code.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUp } from '../up-harness.js';
import { docker, waitFor, webDefaultBackendYaml, webWorkloadYaml, useProjectFolder } from './harness.js';

const { dir, byProject } = useProjectFolder('restart');

const manifests = `${webWorkloadYaml('web')}---\n${webDefaultBackendYaml}`;

function status(port: number): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', () => resolve(0));
  });
}

describe.sequential('a killed replica', () => {
  it('is started again, and the log says it had exited with code 137 (issue 10 items 15, 18)', async () => {
    writeFileSync(path.join(dir, 'app.yaml'), manifests);
    const up = await startUp([dir, '--port', '0', '--run', '--no-watch']);
    try {
      await up.waitFor(/Deployment default\/web: created/, 30_000);
      await waitFor('the replica to answer', async () => ((await status(up.port)) === 200 ? true : undefined), 20_000);
      const id = (await docker('ps', '-q', '--filter', byProject, '--filter', 'label=ingress-dev.workload')).trim();
      expect(id).toMatch(/^[0-9a-f]+$/);
      const startedAt = await docker('inspect', '-f', '{{.State.StartedAt}}', id);
      await docker('kill', id);
      await waitFor('the killed replica to run again', async () => {
        const [running, started] = (await docker('inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', id)).split(' ');
        return running === 'true' && started !== startedAt ? true : undefined;
      }, 15_000);
      await up.waitFor(/container \S+-web-1 restarted \(it had exited with code 137\)/, 10_000);
      await waitFor('the replica to answer again', async () => ((await status(up.port)) === 200 ? true : undefined), 20_000);
    } finally {
      await up.stop();
    }
  }, 90_000);
});
