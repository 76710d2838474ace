import { Box } from 'ink';
import { LineView, ScrollView } from './LineList.js';
import { line, type Line } from './lines.js';
import type { LogSnapshot } from './log-store.js';

/** Whose output the log view shows: one workload's containers, one container, or (null) all. */
export interface LogTarget {
  /** `Deployment default/web`, or a container name. */
  readonly title: string;
  readonly containers: ReadonlySet<string>;
  /** One container: its lines without the prefix. */
  readonly single: boolean;
}

export interface LogsPaneProps {
  readonly lines: readonly Line[];
  readonly target: LogTarget | null;
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** The log lines of the log view, of its target: stderr in red, a hint while nothing was written. */
export function logLines(logs: LogSnapshot, target: LogTarget | null = null): Line[] {
  const mine = target === null ? logs.lines : logs.lines.filter((l) => l.container !== null && target.containers.has(l.container));
  if (mine.length === 0) return [line(target === null ? 'No output from the containers yet.' : `No output from ${target.title} yet.`, { dim: true })];
  const text = (t: string): string => (target?.single === true ? t.replace(/^\S+ \| /, '') : t);
  const lines = mine.map((l) => line(text(l.text), l.stream === 'stderr' ? { color: 'red' } : {}));
  return logs.dropped > 0 ? [line(`… ${logs.dropped} older lines dropped (ingress-dev logs prints them all)`, { dim: true }), ...lines] : lines;
}

/** What the containers of `up --run` wrote, newest last, each line with its container. */
export function LogsPane({ lines, target, width, height, scroll }: LogsPaneProps) {
  const whose = target === null ? 'Container output (all containers)' : `Output of ${target.title}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LineView line={line(`${whose}, newest last · ↑↓ scroll · l follows the newest · Esc closes`, { bold: true })} width={width} />
      <ScrollView lines={lines} width={width} height={Math.max(1, height - 1)} scroll={scroll} />
    </Box>
  );
}
