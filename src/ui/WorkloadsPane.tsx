import { Box } from 'ink';
import { useMemo } from 'react';
import { LineView, ScrollView } from './LineList.js';
import type { WorkloadSnapshot } from './workload-store.js';
import { workloadLines } from './workloads-view.js';

export interface WorkloadsPaneProps {
  readonly workloads: WorkloadSnapshot;
  /** The selected workload or container row (`l` shows its output). */
  readonly cursor?: number;
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** What `up --run` runs: each workload's image, state, readiness, restarts, pull and last error, and its containers. */
export function WorkloadsPane({ workloads, cursor = -1, width, height, scroll }: WorkloadsPaneProps) {
  const { heading, rows } = useMemo(() => workloadLines(workloads, width, cursor), [workloads, width, cursor]);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LineView line={heading} width={width} />
      <ScrollView lines={rows} width={width} height={Math.max(1, height - 1)} scroll={scroll} />
    </Box>
  );
}
