import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { WorkloadChanged, WorkloadsApplied } from '../events/types.js';
import { App } from './App.js';
import { countWorkloads, Header } from './Header.js';
import { ProblemsPane } from './ProblemsPane.js';
import { TabBar } from './TabBar.js';
import { createUiStores } from './ui-stores.js';
import { fakeBus, keys, plain, sampleState, waitFor } from './ui.test-util.js';
import { applyChange, applyReport, createWorkloadStore, type WorkloadSnapshot } from './workload-store.js';
import { WorkloadsPane } from './WorkloadsPane.js';

// Issue 10 item 2: with the terminal UI, everything about `--run` was invisible (a Deployment
// whose image could not be pulled: "No problems", and the lines printed only after quitting).

const unmounts: (() => void)[] = [];
afterEach(() => {
  for (const u of unmounts.splice(0)) u();
});

async function frameOf(node: React.ReactElement): Promise<string> {
  const ui = render(node);
  unmounts.push(ui.unmount);
  return waitFor(() => plain(ui.lastFrame()) || null, () => 'no frame');
}

const pullError = 'image ingress-dev-test/does-not-exist:latest is not on this machine and could not be pulled: pull access denied for ingress-dev-test/does-not-exist';
const pullDiagnostic: Diagnostic = {
  code: 'E_IMAGE_PULL',
  severity: 'error',
  message: `Deployment default/admin: ${pullError}`,
  file: 'k8s/admin.yaml',
  line: 1,
  col: 1,
  hint: 'Pull or build it yourself (docker pull ingress-dev-test/does-not-exist:latest)',
};

const change = (c: WorkloadChanged['change'], workload: string | null, container: string | null, message: string, progress: number | null = null): WorkloadChanged => ({
  type: 'workload-changed',
  at: 0,
  workload,
  change: c,
  container,
  progress,
  message,
});

const applied: WorkloadsApplied = {
  type: 'workloads-applied',
  at: 0,
  workloads: [
    { workload: 'Deployment default/web', image: 'ingress-dev-test/httpd:latest', action: 'created', containers: [{ id: 'a', name: 'shop-web-1' }, { id: 'b', name: 'shop-web-2' }], leaving: [], rollout: null, error: null },
    { workload: 'Deployment default/admin', image: 'ingress-dev-test/does-not-exist:latest', action: 'failed', containers: [], leaving: [], rollout: null, error: pullError },
  ],
  diagnostics: [pullDiagnostic],
  engine: null,
};

/** What the events of a run with one good and one failed Deployment leave. */
function sampleWorkloads(): WorkloadSnapshot {
  const events = [
    change('pulling', 'Deployment default/admin', null, 'pulling ingress-dev-test/does-not-exist:latest', 0),
    change('failed', 'Deployment default/admin', null, pullError),
    change('created', 'Deployment default/web', 'shop-web-1', 'started container shop-web-1'),
    change('created', 'Deployment default/web', 'shop-web-2', 'started container shop-web-2'),
  ];
  let s: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };
  for (const e of events) s = applyChange(s, e);
  s = applyReport(s, applied);
  s = applyChange(s, change('ready', 'Deployment default/web', 'shop-web-1', 'container shop-web-1 is ready'));
  s = applyChange(s, change('exited', 'Deployment default/web', 'shop-web-2', 'container shop-web-2 exited with code 137'));
  s = applyChange(s, change('restarted', 'Deployment default/web', 'shop-web-2', 'container shop-web-2 restarted (it had exited with code 137)'));
  return s;
}

describe('WorkloadsPane', () => {
  it('shows each workload: image, state, ready containers, restarts, its containers and the last error', async () => {
    const f = await frameOf(<WorkloadsPane workloads={sampleWorkloads()} width={120} height={14} scroll={0} />);
    expect(f).toMatch(/WORKLOAD\s+IMAGE\s+STATE\s+READY\s+RESTARTS/);
    expect(f).toMatch(/· Deployment default\/web\s+ingress-dev-test\/httpd:latest\s+starting\s+1\/2\s+1/);
    expect(f).toMatch(/✗ Deployment default\/admin\s+ingress-dev-test\/does-not-exist:latest\s+failed\s+0\/0\s+0/);
    expect(f).toContain('shop-web-1 ready');
    expect(f).toContain('shop-web-2 starting, restarted once · container shop-web-2 restarted (it had exited with code 137)');
    expect(f).toContain('error: image ingress-dev-test/does-not-exist:latest is not on this machine and could not be pulled');
  });

  it('shows a pull in progress', async () => {
    let s: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };
    s = applyChange(s, change('pulling', 'Deployment default/web', null, 'pulling nginx:1.27-alpine: 9.9 of 19.8 MB', 0.5));
    const f = await frameOf(<WorkloadsPane workloads={s} width={100} height={6} scroll={0} />);
    expect(f).toMatch(/↓ Deployment default\/web\s+\?\s+pulling/);
    expect(f).toContain('↓ 50% pulling nginx:1.27-alpine: 9.9 of 19.8 MB');
  });
  it('shows a build in progress (build: in ingress-dev.yaml), its last line of builder output, and a failed build as the error', async () => {
    let s: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };
    s = applyChange(s, change('building', 'Deployment default/web', null, 'building shop/web:dev: Step 2/4 : COPY . /www/'));
    const f = await frameOf(<WorkloadsPane workloads={s} width={100} height={6} scroll={0} />);
    expect(f).toMatch(/⚙ Deployment default\/web\s+\?\s+building/);
    expect(f).toContain('⚙ building shop/web:dev: Step 2/4 : COPY . /www/');
    s = applyChange(s, change('build-failed', 'Deployment default/web', null, "the build of shop/web:dev failed: The command '/bin/sh -c false' returned a non-zero code: 1"));
    const failed = await frameOf(<WorkloadsPane workloads={s} width={120} height={6} scroll={0} />);
    expect(failed).not.toContain('⚙ building');
    expect(failed).toContain("error: the build of shop/web:dev failed: The command '/bin/sh -c false' returned a non-zero code: 1");
  });
  it('lists how the containers reach the Services (their relays), from the last apply', async () => {
    let s: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };
    s = applyReport(s, { ...applied, diagnostics: [], services: [{ service: 'default/api', address: '172.20.0.2', ports: [80] }, { service: 'shop/db', address: '172.20.0.3', ports: [5432] }] });
    const f = await frameOf(<WorkloadsPane workloads={s} width={120} height={14} scroll={0} />);
    expect(f).toContain('Services inside the network (containers call NAME:PORT):');
    expect(f).toContain('api:80 → 172.20.0.2 · shop/db:5432 → 172.20.0.3');
  });
  it('shows a rollout: its progress, the new container starting and the old one leaving (issue 10 item 16)', async () => {
    let s: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };
    s = applyReport(s, { ...applied, workloads: [applied.workloads[0]!], diagnostics: [] });
    s = applyChange(s, change('ready', 'Deployment default/web', 'shop-web-1', 'container shop-web-1 is ready'));
    s = applyChange(s, change('ready', 'Deployment default/web', 'shop-web-2', 'container shop-web-2 is ready'));
    s = applyChange(s, change('created', 'Deployment default/web', 'shop-web-1-3f2a1', 'started container shop-web-1-3f2a1'));
    s = applyChange(s, change('terminating', 'Deployment default/web', 'shop-web-1', 'container shop-web-1 is out of rotation (replaced by the new version); it stops once it has answered the 2 requests in progress'));
    s = applyReport(s, {
      ...applied,
      diagnostics: [],
      workloads: [{ ...applied.workloads[0]!, action: 'updated', containers: [{ id: 'c', name: 'shop-web-1-3f2a1' }, { id: 'b', name: 'shop-web-2' }], leaving: [{ id: 'a', name: 'shop-web-1' }], rollout: 'rolling update: 1 of 2 replicas updated, waiting for shop-web-1-3f2a1 to be ready' }],
    });
    const f = await frameOf(<WorkloadsPane workloads={s} width={180} height={10} scroll={0} />);
    // The leaving container still shows, but no longer counts: 1 of the 2 that serve is ready.
    expect(f).toMatch(/↻ Deployment default\/web\s+ingress-dev-test\/httpd:latest\s+updating\s+1\/2/);
    expect(f).toContain('↻ rolling update: 1 of 2 replicas updated, waiting for shop-web-1-3f2a1 to be ready');
    expect(f).toContain('shop-web-1 terminating · container shop-web-1 is out of rotation (replaced by the new version); it stops once it has answered the 2 requests in progress');
    expect(f).toContain('shop-web-1-3f2a1 starting');
    // Once it has stopped, it is gone; when the rollout ends, the workload is ready again.
    s = applyChange(s, change('removed', 'Deployment default/web', 'shop-web-1', 'removed container shop-web-1'));
    s = applyChange(s, change('ready', 'Deployment default/web', 'shop-web-1-3f2a1', 'container shop-web-1-3f2a1 is ready'));
    s = applyReport(s, { ...applied, diagnostics: [], workloads: [{ ...applied.workloads[0]!, action: 'updated', containers: [{ id: 'c', name: 'shop-web-1-3f2a1' }, { id: 'b', name: 'shop-web-2' }] }] });
    const done = await frameOf(<WorkloadsPane workloads={s} width={180} height={10} scroll={0} />);
    expect(done).toMatch(/● Deployment default\/web\s+ingress-dev-test\/httpd:latest\s+ready\s+2\/2/);
    expect(done).not.toContain('terminating');
  });
});

describe('workload problems', () => {
  it('are listed in the Problems pane: the failed pull with its position and hint, a container that crashed', async () => {
    let s = sampleWorkloads();
    s = applyChange(s, change('exited', 'Deployment default/web', 'shop-web-1', 'container shop-web-1 exited with code 1'));
    const f = await frameOf(<ProblemsPane diagnostics={[]} lastReload={null} workloads={s} width={160} height={12} scroll={0} />);
    expect(f).not.toContain('No problems');
    expect(f).toContain('Workloads (up --run):');
    expect(f).toContain('k8s/admin.yaml:1:1: error E_IMAGE_PULL: Deployment default/admin: image ingress-dev-test/does-not-exist:latest is not on this machine');
    expect(f).toContain('Pull or build it yourself');
    expect(f).toContain('Deployment default/web: container shop-web-1 exited with code 1');
    expect(f).toContain('Deployment default/web: container shop-web-2 restarted once');
  });

  it('are counted in the tab bar and the header', async () => {
    const s = sampleWorkloads();
    const counts = countWorkloads(s.workloads, 2);
    const tabs = await frameOf(<TabBar pane="workloads" requests={0} routes={1} problems={2} errors workloads={{ count: 2, failing: true }} detail={false} width={100} />);
    expect(tabs).toContain('[Workloads 2]');
    const header = await frameOf(
      <Header version="1" urls={['http://127.0.0.1:8080']} profile="spec" files={1} routes={1} startedAt={0} lastReload={null} backends={{ reachable: 0, refused: 1, unmapped: 0, unknown: 0 }} workloads={counts} width={140} />,
    );
    expect(header).toContain('workloads 1 starting · 1 failed · 2 problems');
  });
});

describe('App with up --run', () => {
  it('counts the failed pull in Problems, shows the Workloads pane on Tab, from events sent before it mounted', async () => {
    const bus = fakeBus();
    // `up` makes the workload store before the first apply, and the other stores later.
    const early = createWorkloadStore(bus);
    bus.emit(change('pulling', 'Deployment default/admin', null, 'pulling ingress-dev-test/does-not-exist:latest', 0));
    bus.emit(change('failed', 'Deployment default/admin', null, pullError));
    bus.emit(applied);
    const state = sampleState({ diagnostics: [] });
    const stores = createUiStores({ events: bus, getState: () => state, workloads: early });
    unmounts.push(() => stores.dispose());
    const ui = render(<App version="9" urls={['http://127.0.0.1:8080']} requests={stores.requests} status={stores.status} workloads={stores.workloads} onReload={() => {}} onQuit={() => {}} size={{ columns: 140, rows: 30 }} />);
    unmounts.push(ui.unmount);
    const frame = (): string => plain(ui.lastFrame());
    const until = (ok: (f: string) => boolean): Promise<string> => waitFor(() => (ok(frame()) ? frame() : null), frame);
    let f = await until((s) => s.includes('Workloads 2'));
    // The failed pull: one problem (the diagnostic, with its position), and the header says so.
    expect(f).toContain('Problems 1');
    expect(f).toContain('workloads 1 starting · 1 failed · 1 problem');
    for (const _ of [1, 2, 3]) ui.stdin.write(keys.tab);
    f = await until((s) => s.includes('[Workloads 2]'));
    expect(f).toMatch(/✗ Deployment default\/admin\s+ingress-dev-test\/does-not-exist:latest\s+failed/);
    expect(f).toContain('error: image ingress-dev-test/does-not-exist:latest is not on this machine');
    bus.emit(change('ready', 'Deployment default/web', 'shop-web-1', 'container shop-web-1 is ready'));
    f = await until((s) => s.includes('shop-web-1 ready'));
    ui.stdin.write(keys.shiftTab);
    f = await until((s) => s.includes('[Problems 1]'));
    expect(f).toContain('E_IMAGE_PULL');
  });

  it('shows no Workloads tab without --run', async () => {
    const bus = fakeBus();
    const stores = createUiStores({ events: bus, getState: () => sampleState() });
    unmounts.push(() => stores.dispose());
    const ui = render(<App version="9" urls={['http://127.0.0.1:8080']} requests={stores.requests} status={stores.status} workloads={stores.workloads} onReload={() => {}} onQuit={() => {}} size={{ columns: 100, rows: 20 }} />);
    unmounts.push(ui.unmount);
    const f = await waitFor(() => plain(ui.lastFrame()) || null, () => 'no frame');
    expect(f).toContain('Problems 2');
    expect(f).not.toContain('Workloads');
  });
});
