/**
 * The watcher on its own: which paths it reports, and how it batches them.
 */
import { closeSync, ftruncateSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startWatcher, type ProjectWatcher } from '../../src/watch/watcher.js';
import { waitFor } from '../proxy/harness.js';
import { tempProject, type TempProject } from './harness.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.toReversed()) await step();
  cleanup = [];
});

async function watching(files: Record<string, string>, extra: (p: TempProject) => string[] = () => []): Promise<{ project: TempProject; batches: string[][] }> {
  const project = tempProject(files);
  cleanup.push(() => project.remove());
  const batches: string[][] = [];
  const watcher: ProjectWatcher = await startWatcher({ dir: project.dir, files: extra(project), onChange: (paths) => void batches.push([...paths]) });
  cleanup.push(() => watcher.close());
  return { project, batches };
}

describe('startWatcher', { timeout: 15_000 }, () => {
  it('reports manifests and the config file, in one batch per burst, and nothing else', async () => {
    const { project, batches } = await watching({ 'a.yaml': 'a: 1\n' });
    project.write('node_modules/pkg/x.yaml', 'x: 1\n');
    project.write('.git/config.yaml', 'x: 1\n');
    project.write('.github/workflows/ci.yml', 'x: 1\n');
    project.write('README.md', '# readme\n');
    project.write('ingress-dev.test.yaml', 'tests: []\n');
    project.write('sub/ingress-dev.yaml', 'the tool\'s own file name: neither the config (not at the top) nor a manifest\n');
    project.write('a.yaml', 'a: 2\n');
    project.write('k8s/b.yml', 'b: 1\n');
    project.write('ingress-dev.yaml', 'services: {}\n');
    await waitFor(() => batches.length > 0, 5_000, 'a batch');
    // `sub` is a new folder with no manifest in it: reported, as a folder could bring manifests
    // (the reload then finds nothing new and stays quiet). `k8s` is implied by `k8s/b.yml`.
    expect(batches.flat().toSorted()).toEqual(['a.yaml', 'ingress-dev.yaml', 'k8s/b.yml', 'sub']);
    expect(batches).toHaveLength(1);
  });

  it('reports a write that follows within chokidar\'s 50 ms change throttle (truncate, then write)', async () => {
    const { project, batches } = await watching({ 'a.yaml': 'a: 1\n' });
    const fd = openSync(project.path('a.yaml'), 'r+');
    ftruncateSync(fd, 0);
    await waitFor(() => batches.length === 1, 5_000, 'the batch of the truncation');
    // ~30 ms after the truncation's event: chokidar drops this 'change'; the raw event is kept.
    writeSync(fd, 'a: 2\n');
    closeSync(fd);
    await waitFor(() => batches.length === 2, 5_000, 'the batch of the write');
    expect(batches).toEqual([['a.yaml'], ['a.yaml']]);
  });

  it('watches a config file outside the folder through deletes and re-creations', async () => {
    const outside = tempProject({ 'dev.yaml': 'services: {}\n', 'other.yaml': 'x: 1\n' });
    cleanup.push(() => outside.remove());
    const { batches } = await watching({ 'a.yaml': 'a: 1\n' }, () => [outside.path('dev.yaml')]);
    outside.write('other.yaml', 'x: 2\n'); // beside it, not watched
    unlinkSync(outside.path('dev.yaml'));
    await waitFor(() => batches.length === 1, 5_000, 'the delete');
    outside.write('dev.yaml', 'services: {web: 3000}\n');
    await waitFor(() => batches.length === 2, 5_000, 'the re-creation');
    expect(batches.flat().every((p) => p.endsWith('/dev.yaml'))).toBe(true);
  });

  it('reports a folder removed with nothing in it by the folder\'s path', async () => {
    const { project, batches } = await watching({ 'a.yaml': 'a: 1\n', 'empty/.keep': '' });
    rmSync(project.path('empty'), { recursive: true });
    await waitFor(() => batches.length === 1, 5_000, 'a batch');
    expect(batches).toEqual([['empty']]);
  });
});
