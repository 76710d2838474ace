import { Box } from 'ink';
import { useRef } from 'react';
import { line } from './lines.js';
import { LineView } from './LineList.js';
import type { RequestEntry } from './request-store.js';
import { columnsFor, requestHeading, requestLine, windowStart } from './requests-view.js';

export interface RequestsPaneProps {
  /** Oldest first; the newest is shown at the bottom. */
  readonly entries: readonly RequestEntry[];
  readonly selectedSeq: number | null;
  readonly width: number;
  readonly height: number;
  /** Shown while the list is empty: how to send a first request. */
  readonly emptyHint: string;
}

/** The live list: a heading and the requests that fit, the newest at the bottom. */
export function RequestsPane({ entries, selectedSeq, width, height, emptyHint }: RequestsPaneProps) {
  const startRef = useRef(0);
  const rows = Math.max(1, height - 1);
  const selectedIndex = selectedSeq === null ? null : indexOfSeq(entries, selectedSeq);
  const start = windowStart(entries.length, selectedIndex, rows, startRef.current);
  startRef.current = start;
  const shown = entries.slice(start, start + rows);
  const columns = columnsFor(shown, width);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LineView line={requestHeading(columns)} width={width} />
      {shown.length === 0 ? wrapHint(emptyHint, width).map((text, i) => <LineView key={i} line={line(text, { dim: true })} width={width} />) : null}
      {shown.map((entry) => (
        <LineView key={entry.seq} line={requestLine(entry, columns, entry.seq === selectedSeq)} width={width} />
      ))}
    </Box>
  );
}

/** Entries are in `seq` order: a binary search. */
export function indexOfSeq(entries: readonly RequestEntry[], seq: number): number | null {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = entries[mid]?.seq ?? 0;
    if (at === seq) return mid;
    if (at < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/**
 * The hint's lines, each indented by two, wrapped at the pane's width rather than cut: it holds
 * commands to copy (`curl --cacert …`), and a cut one would be useless.
 */
export function wrapHint(hint: string, width: number): string[] {
  const room = Math.max(10, width - 2);
  const out: string[] = [];
  for (const text of hint.split('\n')) {
    const indent = /^ */.exec(text)?.[0] ?? '';
    let rest = text.slice(indent.length);
    let first = true;
    while (rest.length > 0 || first) {
      const lead = first ? indent : `${indent}  `;
      const take = Math.max(1, room - lead.length);
      out.push(`  ${lead}${rest.slice(0, take)}`);
      rest = rest.slice(take);
      first = false;
    }
  }
  return out;
}

