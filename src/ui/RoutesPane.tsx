import { Box } from 'ink';
import { line } from './lines.js';
import { LineView, ScrollView } from './LineList.js';
import { routeLines, type RouteRow } from './routes-view.js';

export interface RoutesPaneProps {
  readonly rows: readonly RouteRow[];
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** Every route: host, path, pathType, Service:port, target, and the target's health mark. */
export function RoutesPane({ rows, width, height, scroll }: RoutesPaneProps) {
  const { heading, rows: lines } = routeLines(rows, width);
  const legend = line('  ● reachable  ✗ refused  ○ unmapped  · checking', { dim: true });
  const body = rows.length === 0 ? [line('  No routes: every request gets 404. Add an Ingress to the folder.', { dim: true })] : lines;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LineView line={heading} width={width} />
      <ScrollView lines={body} width={width} height={Math.max(1, height - 2)} scroll={scroll} />
      <LineView line={legend} width={width} />
    </Box>
  );
}
