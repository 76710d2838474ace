import { line, type Line, type Segment } from './lines.js';
import { fit } from './text.js';
import { workloadState, type ContainerView, type WorkloadSnapshot, type WorkloadView } from './workload-store.js';

const stateMark: Readonly<Record<ReturnType<typeof workloadState>, Segment>> = {
  ready: { text: '●', color: 'green' },
  starting: { text: '·', color: 'yellow' },
  pulling: { text: '↓', color: 'cyan' },
  building: { text: '⚙', color: 'cyan' },
  'not ready': { text: '○', color: 'yellow' },
  'no containers': { text: '○', dim: true },
  crashed: { text: '✗', color: 'red' },
  updating: { text: '↻', color: 'cyan' },
  failed: { text: '✗', color: 'red' },
};

const containerColor: Readonly<Record<ContainerView['state'], string | undefined>> = { ready: 'green', starting: 'yellow', 'not-ready': 'yellow', exited: 'red', terminating: 'magenta' };

/** A row of the Workloads pane that can be selected: a workload, or one of its containers. */
export interface WorkloadItem {
  readonly workload: string;
  readonly container: string | null;
  /** Its line in `rows`. */
  readonly row: number;
}

/**
 * The Workloads pane: a row per Deployment, StatefulSet and Pod (image, state, ready containers,
 * restarts), then a row per container, the pull in progress and the last error. The workload and
 * container rows are `items`, in order; the one at `cursor` is shown selected.
 */
export function workloadLines(s: WorkloadSnapshot, width: number, cursor = -1): { heading: Line; rows: Line[]; items: WorkloadItem[] } {
  const flex = Math.max(30, width - 2 - 12 - 7 - 9 - 3);
  const titleW = Math.max(12, Math.floor(flex * 0.5));
  const imageW = Math.max(8, flex - titleW);
  const cells = (title: string, image: string, state: string, ready: string, restarts: string): string =>
    `${fit(title, titleW)} ${fit(image, imageW)} ${fit(state, 12)} ${fit(ready, 7)}${fit(restarts, 9, 'right')}`;
  const rows: Line[] = [];
  const items: WorkloadItem[] = [];
  if (s.engine !== null) rows.push(line(`  ${s.engine}`, { color: 'yellow' }, true, 4));
  for (const w of s.workloads) {
    for (const r of workloadRows(w, cells)) {
      if (r.item !== undefined) {
        const selected = items.length === cursor;
        items.push({ workload: w.title, container: r.item, row: rows.length });
        rows.push(selected ? { ...r.line, segments: r.line.segments.map((seg) => ({ ...seg, inverse: true })) } : r.line);
      } else rows.push(r.line);
    }
  }
  if (rows.length === 0) rows.push(line('  No workloads: the folder has no Deployment, StatefulSet or Pod to run.', { dim: true }));
  // How the containers reach the Services: by name, on the Service port, through its relay.
  if (s.services !== undefined && s.services.length > 0) {
    rows.push(line(''), line('  Services inside the network (containers call NAME:PORT):', { dim: true }));
    const text = s.services.map((a) => `${a.service.replace(/^default\//, '')}:${a.ports.join(',')} → ${a.address}`).join(' · ');
    rows.push(line(`    ${text}`, {}, true, 4));
  }
  return { heading: line(`  ${cells('WORKLOAD', 'IMAGE', 'STATE', 'READY', 'RESTARTS')}`, { dim: true }), rows, items };
}

/** The rows of one workload; those that can be selected say which container (null: the workload). */
function workloadRows(w: WorkloadView, cells: (...columns: [string, string, string, string, string]) => string): { line: Line; item?: string | null }[] {
  const state = workloadState(w);
  const ready = w.containers.filter((c) => c.state === 'ready').length;
  const serving = w.containers.filter((c) => c.state !== 'terminating').length;
  const restarts = w.containers.reduce((n, c) => n + c.restarts, 0);
  const out: { line: Line; item?: string | null }[] = [{ line: { segments: [stateMark[state], { text: ` ${cells(w.title, w.image ?? '?', state, `${ready}/${serving}`, String(restarts))}` }] }, item: null }];
  if (w.rollout !== null) out.push({ line: line(`    ↻ ${w.rollout}`, { color: 'cyan' }, true, 6) });
  if (w.pull !== null) {
    const percent = w.pull.progress === null ? '' : `${Math.round(w.pull.progress * 100)}% `;
    out.push({ line: line(`    ${w.pull.kind === 'build' ? '⚙' : '↓'} ${percent}${w.pull.message}`, { color: 'cyan' }, true, 6) });
  }
  for (const c of w.containers) {
    const restarted = c.restarts > 0 ? `, restarted ${c.restarts === 1 ? 'once' : `${c.restarts} times`}` : '';
    const segments: Segment[] = [{ text: `    ${c.name} ` }, { text: c.state, color: containerColor[c.state] }, { text: restarted }];
    if (c.message !== null && c.state !== 'ready') segments.push({ text: ` · ${c.message}`, dim: true });
    out.push({ line: { segments, wrap: true, indent: 6 }, item: c.name });
  }
  if (w.lastError !== null) {
    out.push({ line: { segments: [{ text: `    ${w.failed ? 'error' : 'last error'}: `, color: w.failed ? 'red' : undefined, bold: w.failed }, { text: w.lastError }], wrap: true, indent: 6 } });
  }
  return out;
}
