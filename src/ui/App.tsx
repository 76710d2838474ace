import { Box, useInput, useStdin, type Key } from 'ink';
import { useMemo, useRef, useState } from 'react';
import { authority } from '../model/url.js';
import { DetailPane } from './DetailPane.js';
import { detailLines } from './detail-view.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { HelpOverlay, helpLines } from './HelpOverlay.js';
import { splitKeys } from './keys.js';
import { layoutLines, type Line } from './lines.js';
import type { RouteTable } from '../model/types.js';
import { scrollRange } from './LineList.js';
import { problemLines } from './problems-view.js';
import { ProblemsPane } from './ProblemsPane.js';
import type { RequestEntry, RequestStore } from './request-store.js';
import { indexOfSeq, RequestsPane } from './RequestsPane.js';
import { countBackends, routeLines, routeRows } from './routes-view.js';
import { RoutesPane } from './RoutesPane.js';
import type { StatusStore } from './status-store.js';
import { panes as basePanes, panesWithWorkloads, TabBar, type Pane } from './TabBar.js';
import { useRequests } from './use-requests.js';
import { useStatus } from './use-status.js';
import { useTerminalSize, type TerminalSize } from './use-terminal-size.js';
import { useWorkloads } from './use-workloads.js';
import { countWorkloadProblems, createWorkloadStore, type WorkloadSnapshot, type WorkloadStore } from './workload-store.js';
import { workloadLines, type WorkloadItem } from './workloads-view.js';
import { WorkloadsPane } from './WorkloadsPane.js';
import { createLogStore, type LogStore } from './log-store.js';
import { logLines, LogsPane, type LogTarget } from './LogsPane.js';
import { useLogs } from './use-logs.js';
import { countWorkloads } from './Header.js';

export type QuitKey = 'q' | 'ctrl-c';

export interface AppProps {
  readonly version: string;
  readonly urls: readonly string[];
  /** The local CA's certificate file, when HTTPS is on: the waiting hint shows a `curl --cacert` that works. */
  readonly caFile?: string;
  /** What the manifests are read from when it is not the folder (the header says it). */
  readonly source?: string;
  /** `up --record FILE`: the header says where requests are recorded. */
  readonly recording?: string;
  /** Whether a host's certificate is the folder's Secret (not the local CA's): the hint then uses its `.localhost` alias. */
  readonly servedBySecret?: (host: string) => boolean;
  readonly requests: RequestStore;
  readonly status: StatusStore;
  /** The workloads of `up --run`; their pane shows once the run says anything about them. */
  readonly workloads?: WorkloadStore;
  /** What the containers of `up --run` write; `l` on the Workloads pane shows it. */
  readonly logs?: LogStore;
  readonly onReload: () => void;
  readonly onQuit: (key: QuitKey) => void;
  /** When the routes were loaded (default: when the UI mounts), shown until the first reload. */
  readonly startedAt?: number;
  /** A fixed size instead of the terminal's (tests). */
  readonly size?: TerminalSize;
}

type Scrollable = 'routes' | 'problems' | 'workloads' | 'logs' | 'detail' | 'help';

interface ViewState {
  readonly pane: Pane;
  /** The selected request; null follows the newest. */
  readonly selectedSeq: number | null;
  /** The request whose detail is open (kept even when the list drops it). */
  readonly detail: RequestEntry | null;
  readonly help: boolean;
  /** The containers' output is shown (from the Workloads pane). */
  readonly logs: boolean;
  /** Whose output: a workload (its containers, also those a rollout replaced), one container, or every container (both null). */
  readonly logsFor: { readonly workload: string | null; readonly container: string | null };
  /** The selected row of the Workloads pane (a workload or a container), by its place in the list. */
  readonly workloadCursor: number;
  /** The filter is being typed. */
  readonly editing: boolean;
  readonly scroll: Readonly<Record<Scrollable, number>>;
}

/** A scroll position past the end: the view shows the newest lines, as they come. */
const followNewest = Number.MAX_SAFE_INTEGER;

const initialView: ViewState = {
  pane: 'requests',
  selectedSeq: null,
  detail: null,
  help: false,
  logs: false,
  logsFor: { workload: null, container: null },
  workloadCursor: 0,
  editing: false,
  scroll: { routes: 0, problems: 0, workloads: 0, logs: followNewest, detail: 0, help: 0 },
};

// Header (2 rows), tab bar and footer; the body gets the rest.
const chromeRows = 4;

/** The whole screen: header, tabs, the current pane (or the detail, or the help), and the footer. */
export function App(props: AppProps) {
  const size = useTerminalSize(props.size);
  const requests = useRequests(props.requests);
  const status = useStatus(props.status);
  // Without `up --run` nothing emits workload events: an idle store, never shown.
  const [idleWorkloads] = useState(() => props.workloads ?? createWorkloadStore({ on: () => () => {}, onAny: () => () => {}, emit: () => {} }));
  const workloads = useWorkloads(props.workloads ?? idleWorkloads);
  const [idleLogs] = useState(() => props.logs ?? createLogStore());
  const logs = useLogs(props.logs ?? idleLogs);
  const panes = workloads.active ? panesWithWorkloads : basePanes;
  const [startedAt] = useState(() => props.startedAt ?? Date.now());
  // Keys can arrive faster than renders (a paste, a fast typist, tmux send-keys): the handler
  // reads and writes the latest view state through a ref, never a stale render's copy.
  const [view, setView] = useState<ViewState>(initialView);
  const viewRef = useRef(view);
  const update = (change: Partial<ViewState>): void => {
    viewRef.current = { ...viewRef.current, ...change };
    setView(viewRef.current);
  };
  const { pane, selectedSeq, detail, help, editing, scroll } = view;

  const { table, resolver, diagnostics, files } = status.state;
  const rows = useMemo(() => routeRows(table, resolver, status.backends), [table, resolver, status.backends]);
  const counts = useMemo(() => countBackends(rows), [rows]);
  const workloadProblems = useMemo(() => countWorkloadProblems(workloads), [workloads]);
  const workloadCounts = useMemo(() => (workloads.active ? countWorkloads(workloads.workloads, workloadProblems.count) : null), [workloads, workloadProblems]);
  const problems = diagnostics.length + (status.lastReload?.ok === false ? status.lastReload.rejection.length : 0) + workloadProblems.count;
  const errors = [...diagnostics, ...(status.lastReload?.rejection ?? [])].some((d) => d.severity === 'error') || workloadProblems.errors;
  const problemWorkloads = workloads.active ? workloads : null;

  // One row is left free: a frame as tall as the terminal makes Ink clear the screen on every update.
  const width = Math.max(20, size.columns);
  const height = Math.max(chromeRows + 2, size.rows - 1);
  const bodyHeight = height - chromeRows;
  const visible = requests.visible;
  const shown: Scrollable | 'requests' = help ? 'help' : detail !== null ? 'detail' : view.logs ? 'logs' : pane;

  const linesOf = (v: Scrollable, at: ViewState): Line[] => {
    if (v === 'help') return helpLines();
    if (v === 'detail') return at.detail === null ? [] : detailLines(at.detail, table);
    if (v === 'problems') return problemLines(diagnostics, status.lastReload, problemWorkloads);
    if (v === 'workloads') return workloadLines(workloads, width, at.workloadCursor).rows;
    if (v === 'logs') return logLines(logs, logTargetOf(workloads, at.logsFor));
    return routeLines(rows, width).rows;
  };
  const scrollBy = (v: Scrollable, delta: number): void => {
    const at = viewRef.current;
    // The routes pane has a heading and a legend around its list, the workloads pane a heading.
    const viewHeight = v === 'routes' ? bodyHeight - 2 : v === 'workloads' || v === 'logs' ? bodyHeight - 1 : bodyHeight;
    const { first, maxScroll } = scrollRange(linesOf(v, at), width, viewHeight, at.scroll[v]);
    update({ scroll: { ...at.scroll, [v]: Math.min(Math.max(0, first + delta), maxScroll) } });
  };
  const moveSelection = (delta: number): void => {
    const list = props.requests.getSnapshot().visible;
    if (list.length === 0) return;
    const last = list.length - 1;
    const seq = viewRef.current.selectedSeq;
    const index = seq === null ? null : indexOfSeq(list, seq);
    const next = index === null ? last : Math.min(Math.max(0, index + delta), last);
    update({ selectedSeq: list[next]?.seq ?? null });
  };
  const quitting = useRef(false);
  const quit = (key: QuitKey): void => {
    quitting.current = true;
    props.onQuit(key);
  };

  // Without a terminal on stdin (`up < /dev/null`) there are no keys: the UI only shows, and
  // Ctrl-C reaches the CLI as SIGINT.
  const { isRawModeSupported } = useStdin();
  const handleKey = (input: string, key: Key): void => {
    const at = viewRef.current;
    if (key.ctrl && input === 'c') return quit('ctrl-c');
    if (at.editing) {
      const filter = props.requests.getSnapshot().filter;
      if (key.return) update({ editing: false });
      else if (key.escape) {
        props.requests.setFilter('');
        update({ editing: false });
      } else if (key.backspace || key.delete) {
        if (filter === '') update({ editing: false });
        else props.requests.setFilter([...filter].slice(0, -1).join(''));
      } else if (!key.ctrl && !key.meta && input !== '') {
        props.requests.setFilter(filter + [...input].filter((ch) => ch >= ' ' && ch !== '\u007f').join(''));
      }
      return;
    }
    const up = key.upArrow || input === 'k';
    const down = key.downArrow || input === 'j';
    const page = Math.max(1, bodyHeight - 2);
    const delta = up ? -1 : down ? 1 : key.pageUp ? -page : key.pageDown ? page : 0;
    if (input === 'q') return quit('q');
    if (at.help) {
      if (key.escape || input === '?') update({ help: false });
      else if (delta !== 0) scrollBy('help', delta);
      return;
    }
    if (input === '?') return update({ help: true, scroll: { ...at.scroll, help: 0 } });
    if (key.tab) {
      const step = key.shift ? panes.length - 1 : 1;
      return update({ detail: null, logs: false, pane: panes[(panes.indexOf(at.pane) + step) % panes.length] ?? 'requests' });
    }
    if (input === '/') return update({ detail: null, pane: 'requests', editing: true });
    if (input === 'p') return props.requests.setPaused(!props.requests.getSnapshot().paused);
    if (input === 'c') {
      props.requests.clear();
      return update({ selectedSeq: null, detail: null });
    }
    if (input === 'r') return props.onReload();
    if (at.logs) {
      if (key.escape) update({ logs: false });
      else if (input === 'l' || input === 'G' || key.end) update({ scroll: { ...at.scroll, logs: followNewest } });
      else if (delta !== 0) scrollBy('logs', delta);
      return;
    }
    if (at.pane === 'workloads' && at.detail === null) {
      const { items, rows: lines } = workloadLines(workloads, width, at.workloadCursor);
      const cursor = Math.min(at.workloadCursor, Math.max(0, items.length - 1));
      const item: WorkloadItem | undefined = items[cursor];
      if (input === 'L') return update({ logs: true, logsFor: { workload: null, container: null }, scroll: { ...at.scroll, logs: followNewest } });
      if ((input === 'l' || key.return) && item !== undefined) return update({ logs: true, logsFor: { workload: item.workload, container: item.container }, scroll: { ...at.scroll, logs: followNewest } });
      const to = delta !== 0 ? cursor + delta : input === 'g' || key.home ? 0 : input === 'G' || key.end ? items.length - 1 : null;
      if (to === null || items.length === 0) return;
      const next = Math.min(Math.max(0, to), items.length - 1);
      // The selected row stays in view: the list scrolls as the selection moves past its edge.
      const offset = layoutLines(lines.slice(0, items[next]?.row ?? 0), width).length;
      const shownRange = scrollRange(lines, width, bodyHeight - 1, at.scroll.workloads);
      const { first } = shownRange;
      const scrollTo = offset < first ? offset : offset >= first + shownRange.page ? offset - shownRange.page + 1 : first;
      return update({ workloadCursor: next, scroll: { ...at.scroll, workloads: scrollTo } });
    }
    if (at.detail !== null) {
      if (key.escape) update({ detail: null });
      else if (delta !== 0) scrollBy('detail', delta);
      return;
    }
    if (at.pane !== 'requests') {
      if (delta !== 0) scrollBy(at.pane, delta);
      return;
    }
    const list = props.requests.getSnapshot().visible;
    if (delta !== 0) moveSelection(delta);
    else if (key.return) {
      const index = at.selectedSeq === null ? null : indexOfSeq(list, at.selectedSeq);
      const entry = (index === null ? null : list[index]) ?? list.at(-1) ?? null;
      if (entry !== null) update({ selectedSeq: entry.seq, detail: entry, scroll: { ...at.scroll, detail: 0 } });
    } else if (key.escape || input === 'G' || key.end) update({ selectedSeq: null });
    else if (input === 'g' || key.home) update({ selectedSeq: list[0]?.seq ?? null });
  };
  useInput(
    (input, key) => {
      // Every key of a read, in order: each one sees the view state the previous one left. The
      // keys after a quit key are dropped.
      quitting.current = false;
      for (const [one, oneKey] of splitKeys(input, key)) {
        if (quitting.current) return;
        handleKey(one, oneKey);
      }
    },
    { isActive: isRawModeSupported === true },
  );

  const firstHost = rows.find((r) => r.host !== '*' && !r.host.startsWith('*.'))?.host;
  const url = props.urls[0] ?? '';
  const emptyHint = requests.paused
    ? 'Paused: p resumes.'
    : requests.filter !== ''
      ? `No request matches "${requests.filter}".`
      : `Waiting for requests: curl ${firstHost === undefined ? '' : `-H 'Host: ${firstHost}' `}${url}/${httpsHint(props.urls[1], props.caFile, firstHost !== undefined && props.servedBySecret?.(firstHost) === true ? `${firstHost}.localhost` : firstHost)}`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header
        version={props.version}
        urls={props.urls}
        profile={profileSummary(table)}
        files={files}
        {...(props.source === undefined ? {} : { source: props.source })}
        {...(props.recording === undefined ? {} : { recording: props.recording })}
        routes={table.routes.length + (table.gateway?.rules.length ?? 0)}
        startedAt={startedAt}
        lastReload={status.lastReload}
        backends={counts}
        workloads={workloadCounts}
        width={width}
      />
      <TabBar pane={pane} requests={visible.length} routes={rows.length} problems={problems} errors={errors} workloads={workloadCounts === null ? null : { count: workloads.workloads.length, failing: workloadCounts.failing > 0 }} detail={detail !== null} width={width} />
      {shown === 'help' ? (
        <HelpOverlay width={width} height={bodyHeight} scroll={scroll.help} />
      ) : shown === 'detail' && detail !== null ? (
        <DetailPane entry={detail} table={table} width={width} height={bodyHeight} scroll={scroll.detail} />
      ) : shown === 'routes' ? (
        <RoutesPane rows={rows} width={width} height={bodyHeight} scroll={scroll.routes} />
      ) : shown === 'problems' ? (
        <ProblemsPane diagnostics={diagnostics} lastReload={status.lastReload} workloads={problemWorkloads} width={width} height={bodyHeight} scroll={scroll.problems} />
      ) : shown === 'logs' ? (
        <LogsPane lines={logLines(logs, logTargetOf(workloads, view.logsFor))} target={logTargetOf(workloads, view.logsFor)} width={width} height={bodyHeight} scroll={scroll.logs} />
      ) : shown === 'workloads' ? (
        <WorkloadsPane workloads={workloads} cursor={view.workloadCursor} width={width} height={bodyHeight} scroll={scroll.workloads} />
      ) : (
        <RequestsPane entries={visible} selectedSeq={selectedSeq} width={width} height={bodyHeight} emptyHint={emptyHint} />
      )}
      <Footer width={width} paused={requests.paused} newWhilePaused={requests.newWhilePaused} filter={requests.filter} editing={editing} detail={detail !== null} />
    </Box>
  );
}

/**
 * The containers whose output the log view shows: those of a workload (also the ones a rollout
 * replaced, whose last lines explain why), one container, or all (null).
 */
function logTargetOf(s: WorkloadSnapshot, of: ViewState['logsFor']): LogTarget | null {
  if (of.container !== null) return { title: `container ${of.container}`, containers: new Set([of.container]), single: true };
  if (of.workload === null) return null;
  const w = s.workloads.find((x) => x.title === of.workload);
  const containers = new Set([...(w?.seen ?? []), ...(w?.containers.map((c) => c.name) ?? [])]);
  return { title: of.workload, containers, single: containers.size === 1 };
}

/** `nginx`, or `nginx 2 + spec 1` when Ingresses of the folder are routed by different profiles. */
export function profileSummary(table: RouteTable): string {
  const counts = new Map<string, number>();
  for (const c of table.ingressProfiles.values()) counts.set(c.profile, (counts.get(c.profile) ?? 0) + 1);
  if (counts.size <= 1) return [...counts.keys()][0] ?? table.profile;
  return [...counts].map(([p, n]) => `${p} ${n}`).join(' + ');
}

/** A second line of the waiting hint, when HTTPS is on: `or: curl --cacert CA --resolve HOST:PORT:ADDR https://HOST:PORT/`. */
function httpsHint(httpsUrl: string | undefined, caFile: string | undefined, host: string | undefined): string {
  if (httpsUrl === undefined || caFile === undefined) return '';
  const url = new URL(httpsUrl);
  // A line of its own: the CA's path is long, and cutting it would make the command useless.
  if (host === undefined) return `\n  or: curl --cacert ${caFile} ${httpsUrl}/`;
  const port = url.port === '' ? 443 : Number(url.port);
  return `\n  or: curl --cacert ${caFile} --resolve ${host}:${port}:${url.hostname} https://${authority('https', host, port)}/`;
}
