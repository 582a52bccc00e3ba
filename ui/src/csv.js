// CSV of a table as shown (its header and cells' text), RFC 4180 quoting,
// with a BOM so spreadsheet programs read the Chinese right.
export function tableRows(table) {
  return [...table.querySelectorAll('tr')].map((tr) =>
    [...tr.querySelectorAll('th,td')].map((c) => c.textContent.trim()));
}

export function toCsv(rows) {
  const q = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return rows.map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
}

export function downloadTable(table, name) {
  const blob = new Blob(['\ufeff' + toCsv(tableRows(table))], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}
