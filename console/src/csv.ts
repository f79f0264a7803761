// Every chart's data as CSV, made in the browser from what the chart shows.
export type Cell = string | number | boolean | null | undefined;

const quote = (cell: Cell): string => {
  if (cell === null || cell === undefined) return '';
  let s = String(cell);
  // A cell a spreadsheet would read as a formula is kept as text.
  if (/^[=+\-@\t\r]/.test(s) && typeof cell !== 'number') s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

export function downloadCsv(filename: string, header: string[], rows: Cell[][]): void {
  // A BOM, so spreadsheet programs read the Chinese labels as UTF-8.
  const blob = new Blob(['\uFEFF', toCsv(header, rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
