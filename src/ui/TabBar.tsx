import type { Line, Segment } from './lines.js';
import { LineView } from './LineList.js';

export type Pane = 'requests' | 'routes' | 'problems' | 'workloads';
export const panes: readonly Pane[] = ['requests', 'routes', 'problems'];
/** With `up --run`, the Workloads pane comes last (Tab keeps its order for the others). */
export const panesWithWorkloads: readonly Pane[] = [...panes, 'workloads'];

export interface TabBarProps {
  readonly pane: Pane;
  readonly requests: number;
  readonly routes: number;
  readonly problems: number;
  /** Whether one of the problems is an error. */
  readonly errors: boolean;
  /** With `up --run`: how many workloads, and whether one of them failed or crashed. */
  readonly workloads?: { readonly count: number; readonly failing: boolean } | null;
  /** Set when the detail of a request is open. */
  readonly detail: boolean;
  readonly width: number;
}

/** `[Requests 42]  Routes 6   Problems 2`: the current pane in brackets (and inverse). */
export function TabBar(props: TabBarProps) {
  const tab = (pane: Pane, title: string, color?: string): Segment[] => {
    const current = props.pane === pane;
    const text = current ? `[${title}]` : ` ${title} `;
    return [{ text, bold: current, inverse: current, color }, { text: ' ' }];
  };
  const problemsColor = props.problems === 0 ? undefined : props.errors ? 'red' : 'yellow';
  const segments: Segment[] = [
    ...tab('requests', `Requests ${props.requests}`),
    ...tab('routes', `Routes ${props.routes}`),
    ...tab('problems', `Problems ${props.problems}`, problemsColor),
    ...(props.workloads === undefined || props.workloads === null ? [] : tab('workloads', `Workloads ${props.workloads.count}`, props.workloads.failing ? 'red' : undefined)),
    ...(props.detail ? [{ text: ' › detail', bold: true }] : []),
  ];
  const l: Line = { segments };
  return <LineView line={l} width={props.width} />;
}
