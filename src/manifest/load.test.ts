import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createProjectLoader, loadFiles, loadProject } from './load.js';

const service = (name: string): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`;

let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ingress-dev-load-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(rel: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), text);
}

describe('loadProject', () => {
  test('reads every .yaml and .yml below the folder, sorted, skipping other tools\' files', async () => {
    await write('web.yaml', service('web'));
    await write('apps/api.yml', service('api'));
    await write('apps/deep/er/db.yaml', service('db'));
    await write('apps/B.yaml', service('b'));
    await write('node_modules/pkg/x.yaml', service('nm'));
    await write('.git/y.yaml', service('git'));
    await write('.github/workflows/ci.yaml', service('ci'));
    await write('ingress-dev.yaml', 'listen: {http: 8080}\n');
    await write('apps/ingress-dev.test.yaml', 'tests: []\n');
    await write('README.md', '# not yaml\n');

    const result = await loadProject(dir);

    expect(result.files).toEqual(['apps/B.yaml', 'apps/api.yml', 'apps/deep/er/db.yaml', 'web.yaml']);
    expect(result.diagnostics).toEqual([]);
    expect(result.resources.services.map((s) => [s.metadata.name, s.metadata.at.file, s.metadata.order])).toEqual([
      ['b', 'apps/B.yaml', 0],
      ['api', 'apps/api.yml', 1],
      ['db', 'apps/deep/er/db.yaml', 2],
      ['web', 'web.yaml', 3],
    ]);
    expect(result.sources.get('web.yaml')).toBe(service('web'));
  });

  test('ignore skips files and whole folders by relative path', async () => {
    await write('keep.yaml', service('keep'));
    await write('charts/templates/svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Values.name }}}\n');
    await write('drop.yaml', service('drop'));
    const seen: string[] = [];
    const result = await loadProject(dir, {
      ignore: (rel) => {
        seen.push(rel);
        return rel === 'charts' || rel.endsWith('drop.yaml');
      },
    });
    expect(result.files).toEqual(['keep.yaml']);
    expect(result.diagnostics).toEqual([]);
    expect(seen).not.toContain('charts/templates/svc.yaml');
  });

  test('a link to a file is read; a link to nothing is E_FILE_READ, and the rest still loads', async () => {
    await write('.store/target.yaml', service('target'));
    await symlink(path.join(dir, '.store/target.yaml'), path.join(dir, 'linked.yaml'));
    await symlink(path.join(dir, 'missing.yaml'), path.join(dir, 'dangling.yaml'));
    const result = await loadProject(dir);
    expect(result.files).toEqual(['linked.yaml']);
    expect(result.resources.services.map((s) => s.metadata.name)).toEqual(['target']);
    expect(result.diagnostics).toMatchObject([{ code: 'E_FILE_READ', severity: 'error', file: 'dangling.yaml', line: 1, col: 1 }]);
    expect(result.diagnostics[0]?.hint).toMatch(/link to nothing/);
  });

  test('an Emacs lock link (.#NAME.yaml, a link to nothing) is not a manifest', async () => {
    await write('web.yaml', service('web'));
    await symlink('user@host.1234:1700000000', path.join(dir, '.#web.yaml'));
    const result = await loadProject(dir);
    expect(result.files).toEqual(['web.yaml']);
    expect(result.diagnostics).toEqual([]);
  });

  test('a folder that does not exist is one E_FILE_READ diagnostic, not an exception', async () => {
    const result = await loadProject(path.join(dir, 'nope'));
    expect(result.files).toEqual([]);
    // A folder has no line:col (issue 10, item 11): 0 stands for none.
    expect(result.diagnostics).toMatchObject([{ code: 'E_FILE_READ', file: '.', line: 0, col: 0 }]);
  });

  test('problems in files come back as diagnostics with the relative path', async () => {
    await write('sub/bad.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n\tname: web\n');
    const result = await loadProject(dir);
    expect(result.diagnostics).toMatchObject([{ code: 'E_YAML_SYNTAX', file: 'sub/bad.yaml', line: 4, col: 1 }]);
  });
});

describe('loadFiles', () => {
  test('reads the files given; a missing one is E_FILE_READ', async () => {
    await write('a.yaml', service('a'));
    const result = await loadFiles(dir, ['a.yaml', 'gone.yaml']);
    expect(result.files).toEqual(['a.yaml']);
    expect(result.resources.services.map((s) => s.metadata.name)).toEqual(['a']);
    expect(result.diagnostics).toMatchObject([{ code: 'E_FILE_READ', file: 'gone.yaml' }]);
  });
});

describe('createProjectLoader', () => {
  const duplicate = (name: string): string => `${service(name)}---\n${service(name)}`;

  test('each load equals loadProject of the folder as it is then', async () => {
    await write('a.yaml', service('a'));
    await write('sub/b.yaml', duplicate('b'));
    const loader = createProjectLoader(dir);
    expect(await loader.load()).toEqual(await loadProject(dir));
    await write('0.yaml', service('b'));
    await write('sub/c.yml', 'kind: [\n');
    expect(await loader.load()).toEqual(await loadProject(dir));
    await rm(path.join(dir, 'sub'), { recursive: true });
    expect(await loader.load()).toEqual(await loadProject(dir));
  });

  test('a file whose text did not change is not parsed again; an edited one is', async () => {
    await write('a.yaml', service('a'));
    await write('b.yaml', service('b'));
    const loader = createProjectLoader(dir);
    const first = await loader.load();
    await write('b.yaml', service('b2'));
    const second = await loader.load();
    // The same objects: a.yaml was taken from the cache, not parsed into new ones.
    expect(second.resources.services[0]).toBe(first.resources.services[0]);
    expect(second.resources.services.map((s) => s.metadata.name)).toEqual(['a', 'b2']);
  });

  test('order and duplicates are worked out across files on every load, cached or not', async () => {
    await write('b.yaml', service('web'));
    const loader = createProjectLoader(dir);
    expect((await loader.load()).diagnostics).toEqual([]);
    await write('a.yaml', service('web'));
    const result = await loader.load();
    expect(result.resources.services.map((s) => [s.metadata.at.file, s.metadata.order])).toEqual([['a.yaml', 0]]);
    expect(result.diagnostics).toMatchObject([{ code: 'E_DUPLICATE_RESOURCE', file: 'b.yaml' }]);
  });
});
