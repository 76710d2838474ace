import type { Segment } from './lines.js';
import { LineView } from './LineList.js';
import { truncate } from './text.js';

export interface FooterProps {
  readonly width: number;
  readonly paused: boolean;
  readonly newWhilePaused: number;
  readonly filter: string;
  /** The filter is being typed. */
  readonly editing: boolean;
  readonly detail: boolean;
}

/** The bottom row: the filter being typed, or the list's state and the main keys. */
export function Footer(props: FooterProps) {
  if (props.editing) {
    const segments: Segment[] = [{ text: '/', bold: true, color: 'cyan' }, { text: props.filter }, { text: ' ', inverse: true }, { text: '   Enter keep · Esc clear', dim: true }];
    return <LineView line={{ segments }} width={props.width} />;
  }
  const segments: Segment[] = [];
  if (props.paused) segments.push({ text: ` PAUSED${props.newWhilePaused > 0 ? ` +${props.newWhilePaused}` : ''} `, inverse: true, color: 'yellow' }, { text: ' ' });
  if (props.filter !== '') segments.push({ text: `filter: ${truncate(props.filter, 24)}`, color: 'cyan' }, { text: '  ' });
  const used = segments.reduce((n, s) => n + [...s.text].length, 0);
  segments.push({ text: fitHints(props.detail ? detailHints : listHints, props.width - used), dim: true });
  return <LineView line={{ segments }} width={props.width} />;
}

// Most important first: on a narrow terminal the hints from the end of the list are dropped,
// but `? keys` and `q quit` always stay.
const listHints = ['↑↓ select', 'Enter detail', '/ filter', 'Tab pane', 'p pause', 'c clear', 'r reload'];
const detailHints = ['↑↓ scroll', 'Esc close', 'Tab pane', 'r reload'];
const alwaysHints = ['? keys', 'q quit'];

export function fitHints(hints: readonly string[], width: number): string {
  for (let n = hints.length; n >= 0; n--) {
    const text = [...hints.slice(0, n), ...alwaysHints].join('  ');
    if ([...text].length <= width) return text;
  }
  return alwaysHints.join('  ');
}
