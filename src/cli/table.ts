/** Columns padded to the widest cell; the header dimmed on a colour terminal. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly indent?: number; readonly dim?: boolean } = {},
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = ' '.repeat(options.indent ?? 0);
  const line = (cells: readonly string[]) =>
    pad + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const head = line(header);
  return [options.dim === true ? `\u001b[2m${head}\u001b[0m` : head, ...rows.map(line)].join('\n');
}
