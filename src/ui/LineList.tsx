import { Box, Text } from 'ink';
import { clipLine, layoutLines, line, type Line } from './lines.js';

export interface LineViewProps {
  readonly line: Line;
  readonly width: number;
}

/** One terminal row: styled segments, cut to the width. */
export function LineView({ line: l, width }: LineViewProps) {
  const clipped = clipLine(l, width);
  if (clipped.segments.every((s) => s.text === '')) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {clipped.segments.map((s, i) => (
        <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

export interface ScrollViewProps {
  readonly lines: readonly Line[];
  readonly width: number;
  readonly height: number;
  /** First row shown; clamped to the content. */
  readonly scroll: number;
}

/** The first row shown for a scroll position, and the rows a view of `lines` has. */
export function scrollRange(lines: readonly Line[], width: number, height: number, scroll: number) {
  const rows = layoutLines(lines, width);
  const fits = rows.length <= height;
  const page = fits ? height : Math.max(1, height - 1);
  const maxScroll = Math.max(0, rows.length - page);
  const first = Math.min(Math.max(0, scroll), maxScroll);
  return { rows, first, page, maxScroll, fits };
}

/** Lines that may be longer than the pane: wrapped, scrolled, and a position row when they do not fit. */
export function ScrollView({ lines, width, height, scroll }: ScrollViewProps) {
  const { rows, first, page, fits } = scrollRange(lines, width, height, scroll);
  const shown = rows.slice(first, first + page);
  const position = line(`── ${first + 1}–${first + shown.length} of ${rows.length} · ↑↓ scroll ──`, { dim: true });
  return (
    <Box flexDirection="column" width={width} height={height}>
      {shown.map((l, i) => (
        <LineView key={i} line={l} width={width} />
      ))}
      {fits ? null : <LineView line={position} width={width} />}
    </Box>
  );
}
