// Plain-text tables for people: columns padded to the widest cell; a cell's control characters (a network name
// with an escape sequence, a tab or a newline) are shown escaped, so no cell can break the table or the terminal.
import { escapeControls } from './terminal';

export function renderTable(header: string[], rows: string[][]): string {
  const safe = rows.map((r) => r.map((c) => escapeControls(c ?? '')));
  const widths = header.map((h, i) => Math.max(h.length, ...safe.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...safe.map(line)].join('\n');
}
