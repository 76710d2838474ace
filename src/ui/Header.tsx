import { Box } from 'ink';
import { formatDiagnostic } from '../diagnostics/format.js';
import type { Line, Segment } from './lines.js';
import { LineView } from './LineList.js';
import type { BackendCounts } from './routes-view.js';
import type { ReloadOutcome } from './status-store.js';
import { workloadState, type WorkloadView } from './workload-store.js';
import { formatClock, formatDuration, plural } from './text.js';

export interface HeaderProps {
  readonly version: string;
  readonly urls: readonly string[];
  readonly profile: string;
  readonly files: number;
  /** What the manifests are read from when it is not the folder: `helm template ./chart`. */
  readonly source?: string;
  /** `up --record FILE`: shown as `● rec FILE`. */
  readonly recording?: string;
  readonly routes: number;
  /** When the UI started, shown until the first reload. */
  readonly startedAt: number;
  readonly lastReload: ReloadOutcome | null;
  readonly backends: BackendCounts;
  /** With `up --run`: its workloads by state. */
  readonly workloads?: WorkloadCounts | null;
  readonly width: number;
}

/** Two rows: where it listens and what it serves; the last reload and the backends' health. */
export function Header(props: HeaderProps) {
  const first: Line = {
    segments: [
      { text: 'ingress-dev', bold: true },
      { text: ` ${props.version}  ` },
      { text: formatUrls(props.urls), bold: true, color: 'cyan' },
      { text: `  profile ${props.profile} · ${props.source === undefined ? plural(props.files, 'manifest') : props.source} · ${plural(props.routes, 'route')}` },
      ...(props.recording === undefined ? [] : [{ text: `  ● rec ${props.recording}`, color: 'red' }]),
    ],
  };
  // What is cut at the right edge on a narrow terminal matters least: a failed reload comes
  // first, an ok one after the backends.
  const reload = reloadSegments(props.lastReload, props.startedAt);
  const backends = [...backendSegments(props.backends), ...(props.workloads === undefined || props.workloads === null ? [] : [{ text: ' │ ' }, ...workloadSegments(props.workloads)])];
  const second: Line = {
    segments: props.lastReload?.ok === false ? [...reload, { text: ' │ ' }, ...backends] : [...backends, { text: ' │ ' }, ...reload],
  };
  return (
    <Box flexDirection="column" width={props.width}>
      <LineView line={first} width={props.width} />
      <LineView line={second} width={props.width} />
    </Box>
  );
}

export function reloadSegments(reload: ReloadOutcome | null, startedAt: number): Segment[] {
  if (reload === null) return [{ text: `loaded ${formatClock(startedAt)}`, dim: true }];
  const when = `reload ${formatClock(reload.at)} `;
  if (!reload.ok) {
    const first = reload.rejection[0];
    const why = first === undefined ? '' : `: ${formatDiagnostic(first).split('\n')[0] ?? ''}`;
    return [{ text: when }, { text: `failed in ${formatDuration(reload.durationMs)}${why} (the last good routes keep serving)`, color: 'red', bold: true }];
  }
  // The `r` key always gets an answer, even when the files say what is served already.
  if (reload.unchanged) return [{ text: 'reloaded, no changes', color: 'green' }, { text: ` (${formatClock(reload.at)})` }];
  const out: Segment[] = [{ text: when }, { text: 'ok', color: 'green', bold: true }, { text: ` ${formatDuration(reload.durationMs)} (${reload.trigger})` }];
  if (reload.restartNeeded !== null) out.push({ text: ` restart needed: ${reload.restartNeeded}`, color: 'yellow' });
  return out;
}

export function backendSegments(c: BackendCounts): Segment[] {
  const out: Segment[] = [{ text: 'backends ' }];
  const parts: Segment[] = [];
  if (c.reachable > 0) parts.push({ text: `${c.reachable} reachable`, color: 'green' });
  if (c.refused > 0) parts.push({ text: `${c.refused} refused`, color: 'red' });
  if (c.unmapped > 0) parts.push({ text: `${c.unmapped} unmapped`, color: 'yellow' });
  if (c.unknown > 0) parts.push({ text: `${c.unknown} checking`, dim: true });
  if (parts.length === 0) return [{ text: 'no backends', dim: true }];
  parts.forEach((p, i) => out.push(...(i === 0 ? [p] : [{ text: ' · ' }, p])));
  return out;
}

/** Workloads of `up --run` by state; `problems` counts what the Problems pane lists about them. */
export interface WorkloadCounts {
  readonly ready: number;
  readonly starting: number;
  readonly failing: number;
  readonly problems: number;
}

export function countWorkloads(workloads: readonly WorkloadView[], problems: number): WorkloadCounts {
  const counts = { ready: 0, starting: 0, failing: 0, problems };
  for (const w of workloads) {
    const state = workloadState(w);
    if (state === 'ready') counts.ready++;
    else if (state === 'failed' || state === 'crashed') counts.failing++;
    else counts.starting++;
  }
  return counts;
}

export function workloadSegments(c: WorkloadCounts): Segment[] {
  const parts: Segment[] = [];
  if (c.ready > 0) parts.push({ text: `${c.ready} ready`, color: 'green' });
  if (c.starting > 0) parts.push({ text: `${c.starting} starting`, color: 'yellow' });
  if (c.failing > 0) parts.push({ text: `${c.failing} failed`, color: 'red', bold: true });
  if (c.problems > 0) parts.push({ text: plural(c.problems, 'problem'), color: 'red' });
  if (parts.length === 0) return [{ text: 'no workloads', dim: true }];
  const out: Segment[] = [{ text: 'workloads ' }];
  parts.forEach((p, i) => out.push(...(i === 0 ? [p] : [{ text: ' · ' }, p])));
  return out;
}

/** `http://127.0.0.1:8080 https:8443`: the first URL whole, the HTTPS one by its port when the host is the same. */
export function formatUrls(urls: readonly string[]): string {
  const [first, ...rest] = urls;
  if (first === undefined) return '';
  const host = new URL(first).hostname;
  return [first, ...rest.map((u) => {
    const url = new URL(u);
    // `https:443` when the URL leaves the default port out.
    return url.hostname === host ? `${url.protocol.slice(0, -1)}:${url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : url.port}` : u;
  })].join(' ');
}
