// How a figure is written on the page (and in its CSV): the report's own
// number, a percent sign for percents, a dash when suppressed or absent.
export function fmtValue(f, v = f.value) {
  if (f.suppressed || v === null || v === undefined) return '—';
  return f.unit === 'percent' ? `${v}%` : String(v);
}

export function fmtGrowth(g) {
  if (g === null || g === undefined) return '—';
  const pct = Math.round(g * 1000) / 10;
  return `${pct > 0 ? '+' : ''}${pct}%`;
}

export function figures(report) {
  return (report.sections || []).flatMap((s) => s.figures.map((f) => ({ ...f, section: s })));
}

export function figureMap(report) {
  return new Map(figures(report).map((f) => [f.key, f]));
}
