// A self-contained SVG of the soak: stacked panels sharing the time axis (RSS on top, latency
// below), drawn as plain SVG text — no dependency, readable in any browser or on GitHub.

export interface Line {
  label: string;
  color: string;
  /** [x, y] in data units (x: minutes). */
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface Panel {
  title: string;
  lines: readonly Line[];
  /** A shaded horizontal band (e.g. the allowed RSS drift), in y units. */
  band?: { from: number; to: number; label: string };
  /** A vertical marker at x (e.g. the 1-minute baseline). */
  marker?: { x: number; label: string };
  /** Start the y axis at 0 (latencies) rather than near the data (RSS). */
  fromZero?: boolean;
}

const W = 860;
const LEFT = 70;
const RIGHT = 24;
const TOP = 58;
const PANEL_H = 190;
const GAP = 62;
const BOTTOM = 46;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2).replace(/0$/, ""));

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  if (out[out.length - 1]! < hi) out.push(+(out[out.length - 1]! + step).toFixed(10));
  return out;
}

/** `subtitle` lines go under the title, one per entry (keep each under ~110 characters). */
export function renderChart(title: string, subtitle: readonly string[], panels: readonly Panel[], xLabel: string): string {
  const top0 = TOP + 16 * Math.max(0, subtitle.length - 1);
  const H = top0 + panels.length * PANEL_H + (panels.length - 1) * GAP + BOTTOM;
  const plotW = W - LEFT - RIGHT;
  const allX = panels.flatMap((p) => p.lines.flatMap((l) => l.points.map((pt) => pt[0])));
  const xTicks = niceTicks(0, Math.max(1, ...allX), 8);
  const xMax = xTicks[xTicks.length - 1]!;
  const sx = (x: number) => LEFT + (x / xMax) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="600">${esc(title)}</text>`,
    ...subtitle.map((line, i) => `<text x="${LEFT}" y="${40 + 16 * i}" fill="#555">${esc(line)}</text>`),
  ];
  panels.forEach((p, i) => {
    const top = top0 + i * (PANEL_H + GAP) + 14;
    const h = PANEL_H - 14;
    const ys = p.lines.flatMap((l) => l.points.map((pt) => pt[1]));
    if (p.band) ys.push(p.band.from, p.band.to);
    let lo = ys.length ? Math.min(...ys) : 0;
    let hi = ys.length ? Math.max(...ys) : 1;
    const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
    lo = p.fromZero ? 0 : Math.max(0, lo - pad);
    hi += pad;
    const yTicks = niceTicks(lo, hi, 4);
    const y0 = yTicks[0]!;
    const y1 = yTicks[yTicks.length - 1]!;
    const sy = (y: number) => top + h - ((y - y0) / (y1 - y0)) * h;
    out.push(`<text x="${LEFT}" y="${top - 6}" font-weight="600">${esc(p.title)}</text>`);
    if (p.band) {
      const yb = sy(Math.min(y1, p.band.to));
      const ye = sy(Math.max(y0, p.band.from));
      out.push(`<rect x="${LEFT}" y="${yb.toFixed(1)}" width="${plotW}" height="${(ye - yb).toFixed(1)}" fill="#2a7" fill-opacity="0.10"/>`);
      out.push(`<text x="${W - RIGHT - 4}" y="${(yb + 12).toFixed(1)}" text-anchor="end" fill="#2a7">${esc(p.band.label)}</text>`);
    }
    for (const t of yTicks) {
      const y = sy(t).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y}" dy="4" text-anchor="end" fill="#555">${fmt(t)}</text>`);
    }
    for (const t of xTicks) {
      const x = sx(t).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + h}" stroke="#f0f0f0"/>`);
      out.push(`<text x="${x}" y="${top + h + 16}" text-anchor="middle" fill="#555">${fmt(t)}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${h}" fill="none" stroke="#999"/>`);
    if (p.marker) {
      const x = sx(p.marker.x).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + h}" stroke="#888" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${(+x + 4).toFixed(1)}" y="${top + 12}" fill="#666">${esc(p.marker.label)}</text>`);
    }
    // Legend right-aligned above the plot, clear of the panel's title.
    const legendWidth = (l: Line) => 30 + l.label.length * 6.5;
    let legendX = W - RIGHT - p.lines.reduce((w, l) => w + legendWidth(l), 0);
    for (const l of p.lines) {
      if (l.points.length === 0) continue;
      const d = l.points.map((pt, k) => `${k === 0 ? "M" : "L"}${sx(pt[0]).toFixed(1)},${sy(pt[1]).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.8"${l.dashed ? ` stroke-dasharray="5 3"` : ""}/>`);
      for (const pt of l.points) out.push(`<circle cx="${sx(pt[0]).toFixed(1)}" cy="${sy(pt[1]).toFixed(1)}" r="2" fill="${l.color}"/>`);
      out.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${top - 10}" y2="${top - 10}" stroke="${l.color}" stroke-width="2"${l.dashed ? ` stroke-dasharray="5 3"` : ""}/>`);
      out.push(`<text x="${legendX + 22}" y="${top - 6}" fill="#333">${esc(l.label)}</text>`);
      legendX += legendWidth(l);
    }
  });
  out.push(`<text x="${LEFT + plotW / 2}" y="${H - 10}" text-anchor="middle" fill="#333">${esc(xLabel)}</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
