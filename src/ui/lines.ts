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
    if (l.wrap === true && textOf(l).length > width && width > 8) {
      const first = l.segments[0];
      const style: Style = first === undefined ? {} : { color: first.color, bold: first.bold, dim: first.dim, inverse: first.inverse };
      for (const row of wrapText(textOf(l), width, l.indent ?? 2)) out.push(line(row, style));
    } else {
      out.push(clipLine(l, width));
    }
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
  const rows: string[] = [];
  const pad = ' '.repeat(Math.min(indent, Math.floor(width / 2)));
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  let current = leading;
  let currentHasWord = false;
  for (const word of text.slice(leading.length).split(/ +/)) {
    let rest = word;
    for (;;) {
      const sep = currentHasWord ? ' ' : '';
      if ([...current].length + sep.length + [...rest].length <= width) {
        current += sep + rest;
        currentHasWord = true;
        break;
      }
      if (currentHasWord) {
        rows.push(current);
        current = pad;
        currentHasWord = false;
        continue;
      }
      const room = Math.max(1, width - [...current].length);
      const chars = [...rest];
      rows.push(current + chars.slice(0, room).join(''));
      rest = chars.slice(room).join('');
      current = pad;
      if (rest === '') break;
    }
  }
  if (currentHasWord || rows.length === 0) rows.push(current);
  return rows;
}
