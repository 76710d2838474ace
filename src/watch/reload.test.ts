import { describe, expect, it } from 'vitest';
import { createDiagnostic } from '../diagnostics/diagnostic.js';
import { createEventBus } from '../events/bus.js';
import type { IngressDevEvent } from '../events/types.js';
import type { Route } from '../model/types.js';
import { createReloader, type BuildResult } from './reload.js';

interface FakeState {
  readonly name: string;
  readonly paths: readonly string[];
  readonly settings?: string;
}

function route(path: string): Route {
  return {
    id: `ingress:default/web#${path}`,
    ingress: { namespace: 'default', name: 'web' },
    profile: 'spec',
    host: 'app.example.com',
    hostKind: 'exact',
    path,
    pathType: 'Prefix',
    matchAs: 'Prefix',
    segments: path.split('/').filter((s) => s !== ''),
    matchLength: path.length,
    backend: { kind: 'service', service: 'web', namespace: 'default', port: 80, portName: null, problem: null },
    source: { file: 'ingress.yaml', line: 1, col: 1 },
    age: 0,
  };
}

const syntaxError = createDiagnostic('E_YAML_SYNTAX', 'error', 'YAML: bad indentation', { file: 'ingress.yaml', line: 3, col: 5 }, 'fix it');

/** A reloader whose builds the test answers one by one. */
function setup(initial: FakeState = { name: 'initial', paths: ['/a'] }) {
  const events: IngressDevEvent[] = [];
  const bus = createEventBus();
  bus.onAny((e) => events.push(e));
  const builds: { trigger: string; answer: (r: BuildResult<FakeState>) => void; fail: (e: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  let time = 0;
  const reloader = createReloader<FakeState>({
    initial: { state: initial, diagnostics: [] },
    build: (trigger) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise((resolve, reject) => {
        builds.push({
          trigger,
          answer: (r) => {
            running--;
            time += 7;
            resolve(r);
          },
          fail: (e) => {
            running--;
            reject(e);
          },
        });
      });
    },
    describe: (s) => ({ routes: s.paths.map(route), defaultBackend: null, files: 1, settings: s.settings ?? '' }),
    events: bus,
    now: () => time,
    clock: () => 1_000_000 + time,
  });
  const nextBuild = async () => {
    for (let i = 0; i < 100 && builds.length === 0; i++) await Promise.resolve();
    const build = builds.shift();
    if (build === undefined) throw new Error('no build started');
    return build;
  };
  return { reloader, events, nextBuild, builds, maxRunning: () => maxRunning };
}

const ok = (state: FakeState, diagnostics = [] as ReturnType<typeof createDiagnostic>[]): Extract<BuildResult<FakeState>, { ok: true }> => ({ ok: true, state, diagnostics });

describe('createReloader', () => {
  it('swaps in the new state and reports the routes added, removed and changed, and the duration', async () => {
    const { reloader, events, nextBuild } = setup({ name: 'initial', paths: ['/a', '/b'] });
    const done = reloader.reload({ kind: 'files', files: ['ingress.yaml'] });
    const build = await nextBuild();
    expect(build.trigger).toBe('ingress.yaml');
    expect(reloader.current.name).toBe('initial'); // nothing swapped while building
    build.answer(ok({ name: 'next', paths: ['/b', '/c'] }));
    expect(await done).toMatchObject({ type: 'applied' });
    expect(reloader.current.name).toBe('next');
    expect(events).toEqual([
      {
        type: 'config-applied',
        at: 1_000_007,
        trigger: 'ingress.yaml',
        routes: 2,
        files: 1,
        changes: { added: ['ingress:default/web#/c'], removed: ['ingress:default/web#/a'], changed: [] },
        diagnostics: [],
        durationMs: 7,
        restartNeeded: null,
      },
    ]);
  });

  it('keeps serving the last good state on a rejected build, and reports the next good one even if it is the same', async () => {
    const { reloader, events, nextBuild } = setup();
    const broken = reloader.reload({ kind: 'files', files: ['ingress.yaml'] });
    (await nextBuild()).answer({ ok: false, diagnostics: [syntaxError] });
    expect(await broken).toMatchObject({ type: 'rejected' });
    expect(reloader.current.name).toBe('initial');
    expect(events).toMatchObject([{ type: 'config-rejected', trigger: 'ingress.yaml', diagnostics: [syntaxError], durationMs: 7 }]);

    // Fixed back to what is served: no swap, but an event, so the error is no longer shown.
    const fixed = reloader.reload({ kind: 'files', files: ['ingress.yaml'] });
    (await nextBuild()).answer(ok({ name: 'same again', paths: ['/a'] }));
    expect(await fixed).toMatchObject({ type: 'applied', event: { changes: { added: [], removed: [], changed: [] } } });
    expect(reloader.current.name).toBe('initial');
    expect(events.map((e) => e.type)).toEqual(['config-rejected', 'config-applied']);
  });

  it('does not re-apply an identical result of a file change: no swap, no event', async () => {
    const { reloader, events, nextBuild } = setup();
    const done = reloader.reload({ kind: 'files', files: ['a.yaml'] });
    const build = await nextBuild();
    build.answer(ok({ name: 'identical', paths: ['/a'] }));
    expect(await done).toEqual({ type: 'unchanged' });
    expect(reloader.current.name).toBe('initial');
    expect(events).toEqual([]);
  });

  // Issue 10 item 21: `r` with nothing changed must still answer, so the UI can say so.
  it('answers a manual reload with an identical result: an event with no changes, and no swap', async () => {
    const { reloader, events, nextBuild } = setup();
    const done = reloader.reload({ kind: 'manual' });
    const build = await nextBuild();
    expect(build.trigger).toBe('manual');
    build.answer(ok({ name: 'identical', paths: ['/a'] }));
    expect(await done).toMatchObject({ type: 'applied', event: { trigger: 'manual', changes: { added: [], removed: [], changed: [] } } });
    expect(reloader.current.name).toBe('initial');
    expect(events).toHaveLength(1);
  });

  it('applies a change that is not a route: settings, diagnostics, a restart notice', async () => {
    const { reloader, events, nextBuild } = setup();
    const mappings = reloader.reload({ kind: 'files', files: ['ingress-dev.yaml'] });
    (await nextBuild()).answer(ok({ name: 'mapped', paths: ['/a'], settings: 'web=3001' }));
    expect(await mappings).toMatchObject({ type: 'applied', event: { changes: { added: [], removed: [], changed: [] } } });
    expect(reloader.current.name).toBe('mapped');

    const warned = reloader.reload({ kind: 'files', files: ['ingress.yaml'] });
    const warning = createDiagnostic('W_PATHTYPE_MISSING', 'warning', 'pathType is missing', { file: 'ingress.yaml', line: 9, col: 11 }, '');
    (await nextBuild()).answer(ok({ name: 'warned', paths: ['/a'], settings: 'web=3001' }, [warning]));
    expect(await warned).toMatchObject({ type: 'applied', event: { diagnostics: [warning] } });

    const port = reloader.reload({ kind: 'files', files: ['ingress-dev.yaml'] });
    (await nextBuild()).answer({ ...ok({ name: 'port', paths: ['/a'], settings: 'web=3001' }, [warning]), restartNeeded: 'listen port changed from 8080 to 9090' });
    expect(await port).toMatchObject({ type: 'applied', event: { restartNeeded: 'listen port changed from 8080 to 9090' } });
    expect(events).toHaveLength(3);
  });

  it('never runs two builds at once; changes during a build queue exactly one more, which covers them all', async () => {
    const { reloader, nextBuild, builds, maxRunning } = setup();
    const first = reloader.reload({ kind: 'files', files: ['a.yaml'] });
    const build1 = await nextBuild();
    const queued = [
      reloader.reload({ kind: 'files', files: ['b.yaml'] }),
      reloader.reload({ kind: 'files', files: ['c.yaml'] }),
      reloader.reload({ kind: 'manual' }),
      reloader.reload({ kind: 'files', files: ['b.yaml', 'd.yaml'] }),
    ];
    await Promise.resolve();
    expect(builds).toHaveLength(0); // queued, not started
    build1.answer(ok({ name: 'one', paths: ['/1'] }));
    expect(await first).toMatchObject({ type: 'applied', event: { trigger: 'a.yaml' } });
    const build2 = await nextBuild();
    expect(build2.trigger).toBe('b.yaml, c.yaml +1 more');
    build2.answer(ok({ name: 'two', paths: ['/2'] }));
    const outcomes = await Promise.all(queued);
    expect(new Set(outcomes).size).toBe(1); // one reload answered all four
    expect(outcomes[0]).toMatchObject({ type: 'applied', event: { changes: { added: ['ingress:default/web#/2'], removed: ['ingress:default/web#/1'] } } });
    await reloader.idle();
    expect(builds).toHaveLength(0);
    expect(maxRunning()).toBe(1);
    expect(reloader.current.name).toBe('two');
  });

  it('a build that throws is a rejected reload, and the loop goes on', async () => {
    const { reloader, events, nextBuild } = setup();
    const failed = reloader.reload({ kind: 'manual' });
    (await nextBuild()).fail(new Error('boom'));
    expect(await failed).toMatchObject({ type: 'rejected', event: { diagnostics: [{ code: 'E_INTERNAL', message: 'reload failed: boom' }] } });
    const next = reloader.reload({ kind: 'manual' });
    (await nextBuild()).answer(ok({ name: 'after', paths: ['/z'] }));
    expect(await next).toMatchObject({ type: 'applied' });
    expect(events.map((e) => e.type)).toEqual(['config-rejected', 'config-applied']);
  });
});
