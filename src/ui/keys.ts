import type { Key } from 'ink';

/** The keys of the terminal UI, as the help overlay (and the README) lists them. */
export const keyHelp: readonly (readonly [keys: string, what: string])[] = [
  ['↑ ↓  j k', 'select a request, or a workload or container (scroll the routes, problems or detail)'],
  ['PgUp PgDn', 'a page up or down; g the oldest request, G follow the newest'],
  ['Enter', 'open the detail of the selected request'],
  ['Esc', 'close the detail or this help; drop the selection (follow new requests)'],
  ['Tab', 'switch panes: requests, routes, problems, and workloads with --run (Shift-Tab back)'],
  ['l  Enter', 'on the workloads pane: what the selected workload or container writes, following the newest (Esc closes)'],
  ['L', 'on the workloads pane: what every container writes'],
  ['/', 'filter requests by host, path, status or route id (Enter keeps it, Esc clears it)'],
  ['p', 'pause the list (requests are still recorded); p again resumes'],
  ['c', 'clear the list'],
  ['r', 'reload the manifests now'],
  ['?', 'show or hide these keys'],
  ['q  Ctrl-C', 'quit'],
];

/**
 * One chunk read from the terminal as the keys it holds, in order. Ink (6.8) splits a chunk at
 * escape sequences only: a run of plain keys that arrives in one read (auto-repeat, a paste,
 * `tmux send-keys k k k`) reaches `useInput` as one input (`kkk`, `/bar\r`, two DELs) with no key
 * flag set, which matches no key. A single key, and an escape sequence, pass through as Ink parsed it.
 */
export function splitKeys(input: string, key: Key): [input: string, key: Key][] {
  const chars = [...input];
  const flagged = Object.entries(key).some(([name, value]) => value === true && name !== 'shift');
  if (chars.length <= 1 || flagged) return [[input, key]];
  return chars.map((ch): [string, Key] => {
    const plain: Key = { ...key, shift: false };
    // As Ink reports these keys alone: DEL is `delete`, BS `backspace`, other C0 codes Ctrl+letter.
    if (ch === '\r' || ch === '\n') return ['', { ...plain, return: true }];
    if (ch === '\t') return ['', { ...plain, tab: true }];
    if (ch === '\u007f') return ['', { ...plain, delete: true }];
    if (ch === '\b') return ['', { ...plain, backspace: true }];
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20) return [String.fromCharCode(code + 0x60), { ...plain, ctrl: true }];
    return [ch, { ...plain, shift: /^[A-Z]$/.test(ch) }];
  });
}
