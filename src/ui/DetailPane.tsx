import { useMemo } from 'react';
import type { RouteTable } from '../model/types.js';
import { detailLines } from './detail-view.js';
import { ScrollView } from './LineList.js';
import type { RequestEntry } from './request-store.js';

export interface DetailPaneProps {
  readonly entry: RequestEntry;
  readonly table: RouteTable;
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** The selected request: the winning rule and its file:line, the losers and why, upstream path, headers, timings. */
export function DetailPane({ entry, table, width, height, scroll }: DetailPaneProps) {
  const lines = useMemo(() => detailLines(entry, table), [entry, table]);
  return <ScrollView lines={lines} width={width} height={height} scroll={scroll} />;
}
