import { line, type Line, type Segment } from './lines.js';
import { fit } from './text.js';
import { workloadState, type ContainerView, type WorkloadSnapshot, type WorkloadView } from './workload-store.js';

const stateMark: Readonly<Record<ReturnType<typeof workloadState>, Segment>> = {
  ready: { text: '●', color: 'green' },
  starting: { text: '·', color: 'yellow' },
  pulling: { text: '↓', color: 'cyan' },
  'not ready': { text: '○', color: 'yellow' },
  'no containers': { text: '○', dim: true },
  crashed: { text: '✗', color: 'red' },
  updating: { text: '↻', color: 'cyan' },
  failed: { text: '✗', color: 'red' },
};

const containerColor: Readonly<Record<ContainerView['state'], string | undefined>> = { ready: 'green', starting: 'yellow', 'not-ready': 'yellow', exited: 'red', terminating: 'magenta' };

/**
 * The Workloads pane: a row per Deployment, StatefulSet and Pod (image, state, ready containers,
 * restarts), then a row per container, the pull in progress and the last error.
 */
export function workloadLines(s: WorkloadSnapshot, width: number): { heading: Line; rows: Line[] } {
  const flex = Math.max(30, width - 2 - 12 - 7 - 9 - 3);
  const titleW = Math.max(12, Math.floor(flex * 0.5));
  const imageW = Math.max(8, flex - titleW);
  const cells = (title: string, image: string, state: string, ready: string, restarts: string): string =>
    `${fit(title, titleW)} ${fit(image, imageW)} ${fit(state, 12)} ${fit(ready, 7)}${fit(restarts, 9, 'right')}`;
  const rows: Line[] = [];
  if (s.engine !== null) rows.push(line(`  ${s.engine}`, { color: 'yellow' }, true, 4));
  for (const w of s.workloads) rows.push(...workloadRows(w, cells));
  if (rows.length === 0) rows.push(line('  No workloads: the folder has no Deployment, StatefulSet or Pod to run.', { dim: true }));
  return { heading: line(`  ${cells('WORKLOAD', 'IMAGE', 'STATE', 'READY', 'RESTARTS')}`, { dim: true }), rows };
}

function workloadRows(w: WorkloadView, cells: (...columns: [string, string, string, string, string]) => string): Line[] {
  const state = workloadState(w);
  const ready = w.containers.filter((c) => c.state === 'ready').length;
  const serving = w.containers.filter((c) => c.state !== 'terminating').length;
  const restarts = w.containers.reduce((n, c) => n + c.restarts, 0);
  const out: Line[] = [{ segments: [stateMark[state], { text: ` ${cells(w.title, w.image ?? '?', state, `${ready}/${serving}`, String(restarts))}` }] }];
  if (w.rollout !== null) out.push(line(`    ↻ ${w.rollout}`, { color: 'cyan' }, true, 6));
  if (w.pull !== null) {
    const percent = w.pull.progress === null ? '' : `${Math.round(w.pull.progress * 100)}% `;
    out.push(line(`    ↓ ${percent}${w.pull.message}`, { color: 'cyan' }, true, 6));
  }
  for (const c of w.containers) {
    const restarted = c.restarts > 0 ? `, restarted ${c.restarts === 1 ? 'once' : `${c.restarts} times`}` : '';
    const segments: Segment[] = [{ text: `    ${c.name} ` }, { text: c.state, color: containerColor[c.state] }, { text: restarted }];
    if (c.message !== null && c.state !== 'ready') segments.push({ text: ` · ${c.message}`, dim: true });
    out.push({ segments, wrap: true, indent: 6 });
  }
  if (w.lastError !== null) {
    out.push({ segments: [{ text: `    ${w.failed ? 'error' : 'last error'}: `, color: w.failed ? 'red' : undefined, bold: w.failed }, { text: w.lastError }], wrap: true, indent: 6 });
  }
  return out;
}
