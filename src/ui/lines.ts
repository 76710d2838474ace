import { truncate, visible } from './text.js';

/** A run of text in one style. Colours are Ink colour names. */
export interface Segment {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
}

/** One logical line. `wrap` lines are word-wrapped to the width (continuations indented); others are cut. */
export interface Line {
  readonly segments: readonly Segment[];
  readonly wrap?: boolean;
  /** Indent of wrapped continuation lines. */
  readonly indent?: number;
}

export type Style = Omit<Segment, 'text'>;

export function line(text: string, style: Style = {}, wrap = false, indent = 2): Line {
  return { segments: [{ text, ...style }], wrap, indent };
}

export function textOf(l: Line): string {
  return l.segments.map((s) => s.text).join('');
}

/** Wrap `wrap` lines to the width; every other line is cut to it. One physical row per result. */
export function layoutLines(lines: readonly Line[], width: number): Line[] {
  const out: Line[] = [];
  for (const l of lines) {
    if (l.wrap === true && [...textOf(l)].length > width && width > 8) out.push(...wrapLine(l, width, l.indent ?? 2));
    else out.push(clipLine(l, width));
  }
  return out;
}

/** Cut a line to `width` characters, segment by segment. */
export function clipLine(l: Line, width: number): Line {
  const segments: Segment[] = [];
  let left = width;
  for (const s of l.segments) {
    if (left <= 0) break;
    const text = visible(s.text);
    const length = [...text].length;
    if (length <= left) {
      segments.push({ ...s, text });
      left -= length;
    } else {
      segments.push({ ...s, text: truncate(text, left) });
      left = 0;
    }
  }
  return { segments };
}

/** Greedy word wrap; words longer than a row are split. */
export function wrapText(text: string, width: number, indent: number): string[] {
  return wrapLine(line(text), width, indent).map(textOf);
}

/**
 * Greedy word wrap of a styled line: each character keeps its segment's style, and the spaces
 * inside a row are kept as written, so a label padded to a column (`Error     connect …`) keeps
 * its value in that column; continuation rows start at `indent` (at most half the width).
 */
export function wrapLine(l: Line, width: number, indent: number): Line[] {
  const chars: { readonly ch: string; readonly style: number }[] = [];
  l.segments.forEach((s, style) => {
    for (const ch of visible(s.text)) chars.push({ ch, style });
  });
  const pad = Math.min(indent, Math.floor(width / 2));
  const rows: (typeof chars)[] = [];
  let row: typeof chars = [];
  let hasWord = false;
  let i = 0;
  // The spaces before the first word stay on the first row.
  while (i < chars.length && chars[i]?.ch === ' ') row.push(chars[i++]!);
  const newRow = (): void => {
    rows.push(row);
    row = Array.from({ length: pad }, () => ({ ch: ' ', style: -1 }));
    hasWord = false;
  };
  while (i < chars.length) {
    let j = i;
    while (j < chars.length && chars[j]?.ch === ' ') j++;
    const spaces = chars.slice(i, j);
    let k = j;
    while (k < chars.length && chars[k]?.ch !== ' ') k++;
    let word = chars.slice(j, k);
    i = k;
    if (word.length === 0) break; // trailing spaces
    if (hasWord && row.length + spaces.length + word.length <= width) {
      row.push(...spaces, ...word);
      continue;
    }
    if (hasWord) newRow();
    // A word longer than what is left of a fresh row is split.
    while (row.length + word.length > width) {
      const room = Math.max(1, width - row.length);
      row.push(...word.slice(0, room));
      word = word.slice(room);
      newRow();
    }
    if (word.length > 0) {
      row.push(...word);
      hasWord = true;
    }
  }
  if (hasWord || rows.length === 0) rows.push(row);
  return rows.map((r) => {
    const segments: Segment[] = [];
    let from = 0;
    for (let at = 1; at <= r.length; at++) {
      const style = r[from]?.style ?? -1;
      if (at < r.length && r[at]?.style === style) continue;
      const s = l.segments[style];
      const text = r.slice(from, at).map((c) => c.ch).join('');
      segments.push(s === undefined ? { text } : { ...s, text });
      from = at;
    }
    return { segments };
  });
}
