import { Box } from 'ink';
import { LineView, ScrollView } from './LineList.js';
import { line, type Line } from './lines.js';
import type { LogSnapshot } from './log-store.js';

export interface LogsPaneProps {
  readonly lines: readonly Line[];
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** The log lines of the log view: stderr in red, a hint while nothing was written. */
export function logLines(logs: LogSnapshot): Line[] {
  if (logs.lines.length === 0) return [line('No output from the containers yet.', { dim: true })];
  const lines = logs.lines.map((l) => line(l.text, l.stream === 'stderr' ? { color: 'red' } : {}));
  return logs.dropped > 0 ? [line(`… ${logs.dropped} older lines dropped (ingress-dev logs prints them all)`, { dim: true }), ...lines] : lines;
}

/** What the containers of `up --run` wrote, newest last, each line with its container. */
export function LogsPane({ lines, width, height, scroll }: LogsPaneProps) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LineView line={line('Container output, newest last · ↑↓ scroll · l follows the newest · Esc closes', { bold: true })} width={width} />
      <ScrollView lines={lines} width={width} height={Math.max(1, height - 1)} scroll={scroll} />
    </Box>
  );
}
