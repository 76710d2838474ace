import { keyHelp } from './keys.js';
import { line, type Line } from './lines.js';
import { ScrollView } from './LineList.js';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

export function helpLines(): Line[] {
  return [
    line('Keys', { bold: true }),
    ...keyHelp.map(([keys, what]): Line => ({ segments: [{ text: `  ${keys.padEnd(11)}`, bold: true, color: 'cyan' }, { text: what }], wrap: false })),
    line(''),
    line('? or Esc closes this help.', { dim: true }),
  ];
}

/** The key list, in place of the pane (`?`). */
export function HelpOverlay({ width, height, scroll }: HelpOverlayProps) {
  return <ScrollView lines={helpLines()} width={width} height={height} scroll={scroll} />;
}
