import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFor, readContext, repositoryOf, type BuildSpec } from './build.js';

const at = { file: 'ingress-dev.yaml', line: 1, col: 1 };
const spec = (image: string, context = '/ctx'): BuildSpec => ({ image, context, dockerfile: 'Dockerfile', target: null, args: {}, at });

describe('which build entry builds an image a workload names', () => {
  it('the same name and tag; an entry without a tag builds every tag of its repository; no tag is :latest', () => {
    const specs = [spec('shop/web'), spec('shop/api:dev'), spec('localhost:5000/tools')];
    expect(buildFor('shop/web:dev', specs)?.image).toBe('shop/web');
    expect(buildFor('shop/web', specs)?.image).toBe('shop/web');
    expect(buildFor('shop/api:dev', specs)?.image).toBe('shop/api:dev');
    expect(buildFor('shop/api:prod', specs)).toBeNull();
    expect(buildFor('shop/api', specs)).toBeNull();
    expect(buildFor('localhost:5000/tools:1.2', specs)?.image).toBe('localhost:5000/tools');
    expect(buildFor('nginx:1.27', specs)).toBeNull();
    expect(buildFor('web:latest', [spec('web')])?.image).toBe('web');
    expect(buildFor('web', [spec('web:latest')])?.image).toBe('web:latest');
  });

  it('a registry port is not a tag', () => {
    expect(repositoryOf('localhost:5000/web')).toBe('localhost:5000/web');
    expect(repositoryOf('localhost:5000/web:dev')).toBe('localhost:5000/web');
  });
});

describe('the context sent to the builder (docker CLI semantics)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-context-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  it('leaves out what .dockerignore names (folders, globs, ** and ! exceptions) but always sends the Dockerfile and .dockerignore', async () => {
    write('Dockerfile', 'FROM scratch\n');
    write('.dockerignore', 'node_modules\n**/*.log\nDockerfile\ndocs/*\n!docs/keep.md\n');
    write('src/app.js', '1');
    write('src/debug.log', 'x');
    write('node_modules/a/index.js', 'x');
    write('docs/drop.md', 'x');
    write('docs/keep.md', 'x');
    write('top.log', 'x');
    const context = await readContext(spec('web', dir));
    expect(context.files).toEqual(['.dockerignore', 'Dockerfile', 'docs/keep.md', 'src/app.js']);
  });

  it('the digest changes with a file\'s content, the target and the arguments, and only then', async () => {
    const first = await readContext(spec('web', dir));
    expect((await readContext(spec('web', dir))).digest).toBe(first.digest);
    write('node_modules/a/index.js', 'changed, but ignored');
    expect((await readContext(spec('web', dir))).digest).toBe(first.digest);
    write('src/app.js', '2');
    const second = await readContext(spec('web', dir));
    expect(second.digest).not.toBe(first.digest);
    expect((await readContext({ ...spec('web', dir), target: 'dev' })).digest).not.toBe(second.digest);
    expect((await readContext({ ...spec('web', dir), args: { A: '1' } })).digest).not.toBe(second.digest);
  });
});
