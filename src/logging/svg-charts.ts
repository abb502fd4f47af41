/** Static SVG charts rendered to strings, so reports need no scripts, fonts or network to view. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for both element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Tableau-10: distinguishable, colour-blind-aware categorical colours. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

// Viridis stops: perceptually uniform and legible in greyscale print.
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

/** Viridis colour for t in [0, 1], plus a text colour that stays readable on it. */
export function heatColor(t: number): { fill: string; text: string } {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const rgb = VIRIDIS[i].map((c, k) => Math.round(c + (VIRIDIS[i + 1][k] - c) * f));
  const luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  return {
    fill: `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`,
    text: luminance > 0.5 ? '#111827' : '#ffffff',
  };
}

export function viridisGradientCss(): string {
  const stops = VIRIDIS.map(
    ([r, g, b], i) => `rgb(${r},${g},${b}) ${((100 * i) / (VIRIDIS.length - 1)).toFixed(0)}%`,
  );
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Round tick values covering [lo, hi], about `count` of them (Heckbert's nice numbers). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** Expands [lo, hi] outwards to tick multiples so lines never touch the plot edge unlabeled. */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceDomain(lo - pad, hi + pad, count);
  }
  const step = niceTicks(lo, hi, count);
  const s = step.length > 1 ? step[1] - step[0] : hi - lo;
  return [Math.floor(lo / s + 1e-9) * s, Math.ceil(hi / s - 1e-9) * s];
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** 10^k as "10⁻³" — Unicode superscripts render in any font, unlike nested tspans. */
export function powerOfTenLabel(k: number): string {
  const sup: Record<string, string> = {
    '-': '⁻',
    '0': '⁰',
    '1': '¹',
    '2': '²',
    '3': '³',
    '4': '⁴',
    '5': '⁵',
    '6': '⁶',
    '7': '⁷',
    '8': '⁸',
    '9': '⁹',
  };
  if (k === 0) return '1';
  if (k === 1) return '10';
  return `10${[...String(k)].map((c) => sup[c]).join('')}`;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  readonly dashed?: boolean;
}

export interface Tick {
  readonly value: number;
  readonly label: string;
}

/** A shaded x-range with a label along the top, e.g. which task an epoch belonged to. */
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface LineChartOptions {
  readonly series: readonly Series[];
  readonly xDomain: readonly [number, number];
  readonly xTicks?: readonly Tick[];
  readonly yDomain?: readonly [number, number];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly ariaLabel: string;
  readonly bands?: readonly Band[];
  readonly markers?: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly className?: string;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function frame(width: number, height: number, top = 14): Frame {
  return { width, height, left: 56, right: width - 14, top, bottom: height - 42 };
}

function scale(domain: readonly [number, number], range: readonly [number, number]) {
  const [d0, d1] = domain[1] > domain[0] ? domain : [domain[0] - 0.5, domain[0] + 0.5];
  return (v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0]);
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

function svgOpen(f: Frame, ariaLabel: string, className: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${escapeHtml(className)}" ` +
    `viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeHtml(ariaLabel)}">`
  );
}

function yAxis(f: Frame, ticks: readonly Tick[], y: (v: number) => number, label: string): string {
  const lines = ticks.map((t) => {
    const py = fmt(y(t.value));
    return (
      `<line class="grid" x1="${f.left}" x2="${f.right}" y1="${py}" y2="${py}"/>` +
      `<text class="tick" x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(t.label)}</text>`
    );
  });
  const mid = fmt((f.top + f.bottom) / 2);
  return (
    lines.join('') +
    `<text class="axis-label" transform="translate(14 ${mid}) rotate(-90)" text-anchor="middle">${escapeHtml(label)}</text>`
  );
}

function xAxis(f: Frame, ticks: readonly Tick[], x: (v: number) => number, label: string): string {
  const marks = ticks.map((t) => {
    const px = fmt(x(t.value));
    return (
      `<line class="axis" x1="${px}" x2="${px}" y1="${f.bottom}" y2="${f.bottom + 4}"/>` +
      `<text class="tick" x="${px}" y="${f.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`
    );
  });
  return (
    `<line class="axis" x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}"/>` +
    marks.join('') +
    `<text class="axis-label" x="${fmt((f.left + f.right) / 2)}" y="${f.height - 6}" text-anchor="middle">${escapeHtml(label)}</text>`
  );
}

/** Splits a series where consecutive x values jump by more than 1, so gaps are not bridged. */
function polylines(s: Series, x: (v: number) => number, y: (v: number) => number): string {
  if (s.points.length === 0) return '';
  const pts = s.points.map((p) => `${fmt(x(p.x))},${fmt(y(p.y))}`).join(' ');
  const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
  return `<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-linejoin="round"${dash} points="${pts}"><title>${escapeHtml(s.name)}</title></polyline>`;
}

function markers(s: Series, x: (v: number) => number, y: (v: number) => number): string {
  return s.points
    .map(
      (p) =>
        `<circle cx="${fmt(x(p.x))}" cy="${fmt(y(p.y))}" r="3.5" fill="#fff" stroke="${s.color}" stroke-width="2"><title>${escapeHtml(`${s.name}: ${formatTick(p.y)}`)}</title></circle>`,
    )
    .join('');
}

function bands(f: Frame, list: readonly Band[], x: (v: number) => number): string {
  return list
    .map((b, i) => {
      const x0 = Math.max(f.left, x(b.from));
      const x1 = Math.min(f.right, x(b.to));
      const shade = i % 2 === 0 ? 'band band-even' : 'band band-odd';
      return (
        `<rect class="${shade}" x="${fmt(x0)}" y="${f.top}" width="${fmt(Math.max(0, x1 - x0))}" height="${f.bottom - f.top}"/>` +
        `<text class="band-label" x="${fmt((x0 + x1) / 2)}" y="${f.top + 12}" text-anchor="middle">${escapeHtml(b.label)}</text>`
      );
    })
    .join('');
}

function dataRange(series: readonly Series[]): [number, number] {
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  return ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
}

export function lineChart(o: LineChartOptions): string {
  const f = frame(o.width ?? 560, o.height ?? 300, o.bands?.length ? 24 : 14);
  const yDomain = o.yDomain ?? niceDomain(...dataRange(o.series));
  const x = scale(o.xDomain, [f.left + 10, f.right - 10]);
  const y = scale(yDomain, [f.bottom, f.top]);
  const yTicks = niceTicks(yDomain[0], yDomain[1]).map((v) => ({ value: v, label: formatTick(v) }));
  const xTicks =
    o.xTicks ??
    niceTicks(o.xDomain[0], o.xDomain[1]).map((v) => ({ value: v, label: formatTick(v) }));
  return [
    svgOpen(f, o.ariaLabel, o.className ?? 'chart'),
    bands(f, o.bands ?? [], x),
    yAxis(f, yTicks, y, o.yLabel),
    xAxis(f, xTicks, x, o.xLabel),
    ...o.series.map((s) => polylines(s, x, y)),
    ...(o.markers === false ? [] : o.series.map((s) => markers(s, x, y))),
    '</svg>',
  ].join('');
}

export const KEPT_COLOR = '#0f766e';
export const REST_COLOR = '#d1495b';

export interface SpectrumChartOptions {
  readonly layer: string;
  /** Eigenvalues in ascending order. */
  readonly spectrum: readonly number[];
  /** The first `kept` eigenvalues span the null space kept for updates. */
  readonly kept: number;
  readonly width?: number;
  readonly height?: number;
  /** Beyond this, the sorted spectrum is sampled; a monotone curve loses nothing visible. */
  readonly maxPoints?: number;
}

/** Indices to draw: evenly spaced, always with both ends and both sides of the kept boundary. */
export function sampleIndices(n: number, kept: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const set = new Set<number>([0, n - 1]);
  for (let k = 0; k < maxPoints; k++) set.add(Math.round((k * (n - 1)) / (maxPoints - 1)));
  if (kept > 0 && kept < n) {
    set.add(kept - 1);
    set.add(kept);
  }
  return [...set].sort((a, b) => a - b);
}

/**
 * Eigenvalues on a log axis with the kept (null-space) part in its own colour.
 * Non-positive eigenvalues (round-off of a PSD matrix) are drawn at the axis floor.
 */
export function spectrumChart(o: SpectrumChartOptions): string {
  const n = o.spectrum.length;
  const f = frame(o.width ?? 560, o.height ?? 280, 26);
  const positive = o.spectrum.filter((v) => v > 0 && Number.isFinite(v));
  const hiLog = positive.length > 0 ? Math.ceil(Math.log10(Math.max(...positive))) : 0;
  const loLog = Math.min(
    hiLog - 1,
    positive.length > 0 ? Math.floor(Math.log10(Math.min(...positive))) : hiLog - 1,
  );
  const x = scale([0, Math.max(1, n - 1)], [f.left + 6, f.right - 6]);
  const y = scale([loLog, hiLog], [f.bottom, f.top]);
  const ly = (v: number) => y(v > 0 && Number.isFinite(v) ? Math.max(loLog, Math.log10(v)) : loLog);
  const kept = Math.min(n, Math.max(0, o.kept));
  const idx = sampleIndices(n, kept, o.maxPoints ?? 400);
  const keptIdx = idx.filter((i) => i < kept);
  // The rest starts at the last kept point so the two colours join without a gap.
  const restIdx = idx.filter((i) => i >= kept - 1);
  const stepLog = Math.max(1, Math.ceil((hiLog - loLog) / 8));
  const yTicks: Tick[] = [];
  for (let k = loLog; k <= hiLog; k += stepLog)
    yTicks.push({ value: k, label: powerOfTenLabel(k) });
  const xTicks = niceTicks(1, n, 6)
    .filter((v) => Number.isInteger(v) && v >= 1 && v <= n)
    .map((v) => ({ value: v - 1, label: String(v) }));
  const area = (list: number[], cls: string, color: string) => {
    if (list.length === 0) return '';
    const line = list.map((i) => `${fmt(x(i))},${fmt(ly(o.spectrum[i]))}`);
    const first = fmt(x(list[0]));
    const last = fmt(x(list[list.length - 1]));
    const d = `M${first},${f.bottom} L${line.join(' L')} L${last},${f.bottom} Z`;
    return (
      `<path class="${cls}-area" d="${d}" fill="${color}" fill-opacity="0.18" stroke="none"/>` +
      `<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round" points="${line.join(' ')}"/>`
    );
  };
  const boundary =
    kept > 0 && kept < n
      ? `<line class="kept-boundary" x1="${fmt(x(kept - 0.5))}" x2="${fmt(x(kept - 0.5))}" y1="${f.top}" y2="${f.bottom}"/>`
      : '';
  const pct = n > 0 ? ((100 * kept) / n).toFixed(1) : '0.0';
  const caption =
    `<text class="chart-caption" x="${f.left}" y="14"><tspan fill="${KEPT_COLOR}">■</tspan> null space kept: ${kept} of ${n} (${pct}%)` +
    ` <tspan fill="${REST_COLOR}" dx="10">■</tspan> protected directions: ${n - kept}</text>`;
  return [
    svgOpen(f, `Eigen-spectrum of ${o.layer}`, 'spectrum'),
    caption,
    yAxis(f, yTicks, y, 'eigenvalue (log)'),
    xAxis(f, xTicks, x, 'eigenvalue index (ascending)'),
    area(restIdx, 'eig-rest', REST_COLOR),
    area(keptIdx, 'eig-kept', KEPT_COLOR),
    boundary,
    '</svg>',
  ].join('');
}
