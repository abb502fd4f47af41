/** A single self-contained HTML page summarising one run: no scripts, fonts or network needed. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochRecord, LayerProjectionRecord, RunResults } from '../metrics/run-results.js';
import { writeAtomic } from '../util/write-atomic.js';
import {
  type Band,
  escapeHtml as esc,
  heatColor,
  KEPT_COLOR,
  lineChart,
  REST_COLOR,
  type Series,
  seriesColor,
  spectrumChart,
  viridisGradientCss,
} from './svg-charts.js';

export { escapeHtml } from './svg-charts.js';

type Cell = number | null | undefined;

const isNum = (v: Cell): v is number => typeof v === 'number' && Number.isFinite(v);

export function formatPercent(v: Cell, digits = 1): string {
  return isNum(v) ? v.toFixed(digits) : '–';
}

function formatSigned(v: Cell, digits = 2): string {
  return isNum(v) ? `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(digits)}` : '–';
}

function taskCount(r: RunResults): number {
  return Math.max(r.taskNames.length, r.accMatrix.length, ...r.accMatrix.map((row) => row.length));
}

function taskName(r: RunResults, j: number): string {
  return r.taskNames[j] ?? `task ${j}`;
}

function wallSeconds(r: RunResults): number {
  const fromTasks = r.taskSeconds.reduce((a, b) => a + b, 0);
  return fromTasks > 0 ? fromTasks : r.epochs.reduce((a, e) => a + e.seconds, 0);
}

export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

function section(id: string, title: string, body: string, note = ''): string {
  const n = note ? `<p class="note">${note}</p>` : '';
  return `<section id="${id}" class="card"><h2>${esc(title)}</h2>${n}${body}</section>`;
}

function kpi(label: string, value: string, hint: string): string {
  return `<div class="kpi"><div class="kpi-label">${esc(label)}</div><div class="kpi-value">${esc(value)}</div><div class="kpi-hint">${esc(hint)}</div></div>`;
}

function summary(r: RunResults): string {
  const tiles = [
    kpi('ACC', isNum(r.ACC) ? `${r.ACC.toFixed(2)}%` : '–', 'mean final test accuracy'),
    kpi('BWT', formatSigned(r.BWT), 'backward transfer (pp)'),
    kpi('FWT', formatSigned(r.FWT), 'forward transfer (pp)'),
    kpi(
      'Wall time',
      humanDuration(wallSeconds(r)),
      `${taskCount(r)} tasks, ${r.epochs.length} epochs`,
    ),
  ];
  const facts = [
    ['Strategy', r.strategy],
    ['Backend', r.backend],
    ['Tasks', r.taskNames.join(' · ') || String(taskCount(r))],
  ]
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  return `<div class="kpis">${tiles.join('')}</div><dl class="facts">${facts}</dl>`;
}

/**
 * Colour scale spans the trained accuracies so small differences between good runs stay
 * visible; near-chance initial accuracies would otherwise wash the matrix into one colour.
 */
function heatDomain(r: RunResults): [number, number] {
  const trained = r.accMatrix.flat().filter(isNum);
  const vals = trained.length > 0 ? trained : r.initialAcc.filter(isNum);
  if (vals.length === 0) return [0, 100];
  const lo = Math.floor(Math.min(...vals) / 5) * 5;
  const hi = Math.max(lo + 5, Math.ceil(Math.max(...vals) / 5) * 5);
  return [lo, hi];
}

function heatCell(v: Cell, domain: [number, number], attrs: string, what: string): string {
  if (!isNum(v))
    return `<td class="cell empty" ${attrs} title="${esc(`${what}: not measured`)}">–</td>`;
  const { fill, text } = heatColor((v - domain[0]) / (domain[1] - domain[0]));
  // Values below the scale are clamped to its darkest colour; the printed number stays exact.
  return `<td class="cell" ${attrs} style="background:${fill};color:${text}" title="${esc(`${what}: ${v}%`)}">${formatPercent(v)}</td>`;
}

function heatmap(r: RunResults): string {
  const T = taskCount(r);
  const domain = heatDomain(r);
  const cols = Array.from({ length: T }, (_, j) => j);
  const head = cols
    .map((j) => `<th scope="col"><span class="tid">T${j}</span> ${esc(taskName(r, j))}</th>`)
    .join('');
  const rows: string[] = [];
  if (r.initialAcc.some(isNum)) {
    const cells = cols.map((j) =>
      heatCell(r.initialAcc[j], domain, `data-init="${j}"`, `${taskName(r, j)} at initialisation`),
    );
    rows.push(`<tr class="init-row"><th scope="row">initialisation</th>${cells.join('')}</tr>`);
  }
  r.accMatrix.forEach((row, t) => {
    const cells = cols.map((j) =>
      heatCell(
        row[j],
        domain,
        `data-t="${t}" data-j="${j}"${t === j ? ' data-diag="1"' : ''}`,
        `${taskName(r, j)} after training ${taskName(r, t)}`,
      ),
    );
    rows.push(
      `<tr><th scope="row">after <span class="tid">T${t}</span> ${esc(taskName(r, t))}</th>${cells.join('')}</tr>`,
    );
  });
  if (r.forgetting.some(isNum)) {
    const cells = cols.map((j) => `<td class="forget">${formatSigned(r.forgetting[j])}</td>`);
    rows.push(`<tr class="forget-row"><th scope="row">forgetting (pp)</th>${cells.join('')}</tr>`);
  }
  const legend = `<div class="scale"><span>${domain[0]}%</span><span class="scale-bar" style="background:${viridisGradientCss()}"></span><span>${domain[1]}%</span></div>`;
  // Many tasks: narrower cells and wrapped headers keep the matrix on screen without scrolling.
  const dense = T > 6 ? ' dense' : '';
  return `<div class="table-wrap"><table class="heatmap${dense}"><thead><tr><th></th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>${legend}`;
}

function legend(items: readonly { name: string; color: string; dashed?: boolean }[]): string {
  const li = items
    .map(
      (s) =>
        `<li><span class="swatch${s.dashed ? ' dashed' : ''}" style="--c:${s.color}"></span>${esc(s.name)}</li>`,
    )
    .join('');
  return `<ul class="legend">${li}</ul>`;
}

/** One series per task j over "after task t", starting where task j was first measured. */
function perTaskSeries(r: RunResults, matrix: readonly (readonly Cell[])[]): Series[] {
  return Array.from({ length: taskCount(r) }, (_, j) => ({
    name: `T${j} ${taskName(r, j)}`,
    color: seriesColor(j),
    points: matrix.flatMap((row, t) => (isNum(row[j]) ? [{ x: t, y: row[j] as number }] : [])),
  })).filter((s) => s.points.length > 0);
}

function afterTaskTicks(rows: number) {
  return Array.from({ length: rows }, (_, t) => ({ value: t, label: `T${t}` }));
}

function figure(caption: string, svg: string, extra = ''): string {
  return `<figure class="chart-box"><figcaption>${esc(caption)}</figcaption>${svg}${extra}</figure>`;
}

function taskCurves(r: RunResults): string {
  const rowsAcc = r.accMatrix.length;
  const acc = perTaskSeries(r, r.accMatrix);
  const loss = perTaskSeries(r, r.trainLoss);
  const charts: string[] = [];
  if (acc.length > 0) {
    const chart = lineChart({
      series: acc,
      xDomain: [0, Math.max(0, rowsAcc - 1)],
      xTicks: afterTaskTicks(rowsAcc),
      xLabel: 'after training task',
      yLabel: 'test accuracy (%)',
      ariaLabel: 'Test accuracy of each task after each training task',
      className: 'chart acc-curves',
    });
    charts.push(figure('Test accuracy per task', chart, legend(acc)));
  }
  if (loss.length > 0) {
    const chart = lineChart({
      series: loss,
      xDomain: [0, Math.max(0, r.trainLoss.length - 1)],
      xTicks: afterTaskTicks(r.trainLoss.length),
      xLabel: 'after training task',
      yLabel: 'training loss',
      ariaLabel: 'Training loss of each task after each training task',
      className: 'chart loss-curves',
    });
    charts.push(figure('Training loss per task (rising = forgetting)', chart, legend(loss)));
  }
  return charts.length > 0
    ? `<div class="grid">${charts.join('')}</div>`
    : empty('No per-task evaluations recorded.');
}

function empty(text: string): string {
  return `<p class="empty-note">${esc(text)}</p>`;
}

/** Epochs on one global x axis, one coloured segment per task over shaded task bands. */
function epochCurves(r: RunResults): string {
  const eps = r.epochs;
  if (eps.length === 0) return empty('No epoch records.');
  const byTask = new Map<number, { x: number; e: EpochRecord }[]>();
  eps.forEach((e, i) => {
    const list = byTask.get(e.task) ?? [];
    list.push({ x: i + 1, e });
    byTask.set(e.task, list);
  });
  const bands: Band[] = [...byTask.entries()].map(([task, list]) => ({
    from: list[0].x - 0.5,
    to: list[list.length - 1].x + 0.5,
    label: `T${task}`,
  }));
  const series = (pick: (e: EpochRecord) => number): Series[] =>
    [...byTask.entries()].map(([task, list]) => ({
      name: `T${task} ${taskName(r, task)}`,
      color: seriesColor(task),
      points: list
        .filter(({ e }) => Number.isFinite(pick(e)))
        .map(({ x, e }) => ({ x, y: pick(e) })),
    }));
  const common = {
    xDomain: [0.5, eps.length + 0.5] as const,
    xLabel: 'epoch (all tasks)',
    bands,
    markers: eps.length <= 60,
  };
  const lossSeries = series((e) => e.loss);
  const accSeries = series((e) => e.accuracy);
  const charts = [
    figure(
      'Training loss per epoch',
      lineChart({
        ...common,
        series: lossSeries,
        yLabel: 'loss',
        ariaLabel: 'Training loss per epoch',
        className: 'chart epoch-loss',
      }),
    ),
    figure(
      'Training accuracy per epoch',
      lineChart({
        ...common,
        series: accSeries,
        yLabel: 'accuracy (%)',
        ariaLabel: 'Training accuracy per epoch',
        className: 'chart epoch-acc',
      }),
    ),
  ];
  return `<div class="grid">${charts.join('')}</div>${legend(lossSeries)}`;
}

function perTaskTable(r: RunResults): string {
  const T = taskCount(r);
  const last = r.accMatrix[r.accMatrix.length - 1] ?? [];
  const rows = Array.from({ length: T }, (_, j) => {
    const eps = r.epochs.filter((e) => e.task === j);
    const lastEpoch = eps[eps.length - 1];
    const rate =
      eps.length > 0 ? eps.reduce((a, e) => a + e.imagesPerSecond, 0) / eps.length : null;
    const cells = [
      `<th scope="row"><span class="tid">T${j}</span> ${esc(taskName(r, j))}</th>`,
      num(isNum(r.taskSeconds[j]) ? humanDuration(r.taskSeconds[j]) : '–'),
      num(String(eps.length)),
      num(lastEpoch ? lastEpoch.loss.toFixed(4) : '–'),
      num(isNum(rate) ? Math.round(rate).toLocaleString('en-US') : '–'),
      num(formatPercent(r.initialAcc[j])),
      num(formatPercent(r.accMatrix[j]?.[j])),
      num(formatPercent(last[j])),
      num(formatSigned(r.forgetting[j])),
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const head = [
    'task',
    'train time',
    'epochs',
    'last epoch loss',
    'images/s',
    'init acc %',
    'acc after own task %',
    'final acc %',
    'forgetting (pp)',
  ]
    .map((h, i) => `<th scope="col"${i > 0 ? ' class="num"' : ''}>${esc(h)}</th>`)
    .join('');
  return `<div class="table-wrap"><table class="plain"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function num(text: string): string {
  return `<td class="num">${esc(text)}</td>`;
}

function layerFigure(p: LayerProjectionRecord): string {
  const nonPositive = p.spectrum.filter((v) => !(v > 0)).length;
  // Log axes cannot show these, so say how many sit on the axis floor.
  const floorNote =
    nonPositive > 0 ? `; ${nonPositive} eigenvalues ≤ 0 drawn at the axis floor` : '';
  const facts = `n = ${p.n}, kept = ${p.kept} (${keptPercent(p)}), ${lambdaRange(p)}${floorNote}`;
  return `<figure class="chart-box" data-layer="${esc(p.layer)}"><figcaption>${esc(p.layer)} <span class="muted">${esc(facts)}</span></figcaption>${spectrumChart({ layer: p.layer, spectrum: p.spectrum, kept: p.kept })}</figure>`;
}

/**
 * Layer × task grid of kept null-space dimensions, so how the null space shrinks task by task
 * reads at a glance before the spectra explain why. Each cell's bar fills to the kept ratio.
 */
function nullSpaceTable(r: RunResults): string {
  const layers = [...new Set(r.projection.flat().map((p) => p.layer))];
  const cols = Array.from({ length: Math.max(taskCount(r), r.projection.length) }, (_, t) => t);
  const head = cols
    .map(
      (t) =>
        `<th scope="col" title="${esc(`after training ${taskName(r, t)}`)}"><span class="tid">T${t}</span></th>`,
    )
    .join('');
  const rows = layers.map((layer) => {
    const cells = cols.map((t) => {
      const p = r.projection[t]?.find((x) => x.layer === layer);
      return p ? nullSpaceCell(p, t) : '<td class="ns none" title="no null space computed">—</td>';
    });
    return `<tr><th scope="row">${esc(layer)}</th>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table class="ns-table"><thead><tr><th scope="col">layer</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function nullSpaceCell(p: LayerProjectionRecord, t: number): string {
  const pct = keptPercent(p);
  const title = `${p.layer} after T${t}: ${p.kept} of ${p.n} directions kept, ${lambdaRange(p)}`;
  return `<td class="ns" data-layer="${esc(p.layer)}" data-t="${t}" style="--r:${pct}" title="${esc(title)}"><span class="ns-dims">${p.kept}/${p.n}</span><span class="ns-ratio">${pct}</span></td>`;
}

function keptPercent(p: LayerProjectionRecord): string {
  return `${(100 * p.ratio).toFixed(1)}%`;
}

function lambdaRange(p: LayerProjectionRecord): string {
  return `λ ∈ [${p.lambdaMin.toExponential(2)}, ${p.lambdaMax.toExponential(2)}]`;
}

function spectra(r: RunResults): string {
  const boundaries = r.projection
    .map((layers, t) => ({ t, layers }))
    .filter((b) => b.layers.length > 0);
  if (boundaries.length === 0)
    return empty('This strategy does not project gradients; no spectra recorded.');
  const last = boundaries[boundaries.length - 1];
  const key =
    `<p class="note"><span class="key" style="--c:${KEPT_COLOR}"></span>kept null space (smallest eigenvalues; updates move only here) ` +
    `<span class="key" style="--c:${REST_COLOR}"></span>protected directions (earlier tasks' inputs)</p>`;
  const current = `<h3>After <span class="tid">T${last.t}</span> ${esc(taskName(r, last.t))}</h3><div class="grid spectra-last">${last.layers.map(layerFigure).join('')}</div>`;
  const earlier = boundaries
    .slice(0, -1)
    .reverse()
    .map(
      (b) =>
        `<details class="boundary"><summary>After <span class="tid">T${b.t}</span> ${esc(taskName(r, b.t))}</summary><div class="grid">${b.layers.map(layerFigure).join('')}</div></details>`,
    )
    .join('');
  return key + current + (earlier ? `<h3>Earlier task boundaries</h3>${earlier}` : '');
}

/** JSON when possible; configs with cycles or BigInts still print rather than crash the report. */
export function configText(config: unknown): string {
  if (config === undefined) return '(none)';
  try {
    const seen = new WeakSet<object>();
    return JSON.stringify(
      config,
      (_k, v: unknown) => {
        if (typeof v === 'bigint') return `${v}n`;
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      },
      2,
    );
  } catch {
    return String(config);
  }
}

export function renderReport(results: RunResults, config: unknown): string {
  const r = results;
  const title = `${r.name} — ${r.strategy}`;
  const body = [
    `<header><div class="eyebrow">nullspace-cl run report</div><h1>${esc(r.name)}</h1><p class="sub">${esc(r.strategy)} on ${esc(r.backend)} · ${taskCount(r)} tasks</p></header>`,
    section('summary', 'Summary', summary(r)),
    section(
      'matrix',
      'Accuracy matrix',
      heatmap(r),
      'Test accuracy (%) on task <em>j</em> (columns) after training task <em>t</em> (rows).',
    ),
    section('tasks', 'Per-task results', perTaskTable(r)),
    section('curves', 'Accuracy and loss over the task sequence', taskCurves(r)),
    section('epochs', 'Training per epoch', epochCurves(r)),
    r.projection.some((layers) => layers.length > 0)
      ? section(
          'nullspace',
          'Null-space dimensions',
          nullSpaceTable(r),
          'Kept null-space dimension / input dimension <em>n</em> of each projected layer after each task; later updates move only in these directions. — : none computed after that task.',
        )
      : '',
    section('spectra', 'Eigen-spectra of projected layers', spectra(r)),
    section('config', 'Configuration', `<pre class="config">${esc(configText(config))}</pre>`),
    `<footer>Generated ${esc(new Date().toISOString())}</footer>`,
  ]
    .filter((part) => part !== '')
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export const REPORT_FILE = 'report.html';

/** Writes dir/report.html via a temporary name so a reader never sees a half-written page. */
export function writeReport(dir: string, results: RunResults, config: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REPORT_FILE);
  const tmp = join(dir, `.${REPORT_FILE}.${process.pid}.${Date.now()}.tmp`);
  writeAtomic(path, renderReport(results, config), tmp);
  return path;
}

const CSS = `
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#0f766e}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:28px 24px 40px}
header{margin-bottom:18px}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--accent);font-weight:600}
h1{margin:2px 0 2px;font-size:26px;font-weight:650;letter-spacing:-.01em}
.sub{margin:0;color:var(--muted)}
h2{margin:0 0 12px;font-size:16px;font-weight:650}
h3{margin:18px 0 8px;font-size:14px;font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.03)}
.note{margin:-6px 0 12px;color:var(--muted);font-size:13px}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.kpi-label{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.05em}
.kpi-value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.kpi-hint{font-size:12px;color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:14px 0 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th{font-weight:600;text-align:left}
.heatmap th{font-size:12px;padding:6px 10px;color:var(--fg);white-space:nowrap}
.heatmap thead th{text-align:center;vertical-align:bottom;white-space:nowrap}
.heatmap.dense td{width:64px;height:34px;font-size:12px}
.heatmap.dense thead th{white-space:normal;max-width:64px;font-size:11px}
.heatmap td{width:84px;height:40px;text-align:center;font-weight:600;border:2px solid #fff}
.heatmap td.empty{background:#f3f4f6;color:#9ca3af;font-weight:400}
.heatmap td[data-diag]{outline:2px solid #111827;outline-offset:-4px}
.heatmap .init-row th,.heatmap .forget-row th{color:var(--muted);font-weight:500}
.heatmap .init-row td{border-bottom:6px solid #fff}
.heatmap td.forget{color:var(--muted);font-weight:500;font-size:12px;border-top:1px solid var(--line)}
.tid{display:inline-block;min-width:22px;padding:0 4px;border-radius:4px;background:#eef2f7;color:#374151;font-size:11px;font-weight:650;text-align:center}
.scale{display:flex;align-items:center;gap:8px;margin-top:10px;font-size:12px;color:var(--muted)}
.scale-bar{display:inline-block;width:220px;height:10px;border-radius:3px}
table.plain{width:100%;font-size:13px}
table.plain th,table.plain td{padding:7px 10px;border-bottom:1px solid var(--line)}
table.plain thead th{font-size:12px;color:var(--muted);border-bottom:1px solid #d1d5db}
.num{text-align:right}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
figure{margin:0}
.chart-box{border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px}
figcaption{font-size:13px;font-weight:600;margin-bottom:4px}
.muted{color:var(--muted);font-weight:400;font-size:12px;margin-left:6px}
svg{display:block;width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#eef0f3;stroke-width:1}
svg .axis{stroke:#9ca3af;stroke-width:1}
svg .tick{font-size:11px;fill:#6b7280}
svg .axis-label{font-size:11px;fill:#4b5563}
svg .band-even{fill:#f9fafb}
svg .band-odd{fill:#f1f5f9}
svg .band-label{font-size:10px;fill:#9ca3af;font-weight:600}
svg .chart-caption{font-size:11px;fill:#4b5563}
svg .kept-boundary{stroke:#111827;stroke-width:1;stroke-dasharray:4 3}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;padding:0;margin:8px 0 0;font-size:12px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid var(--c)}
.swatch.dashed{border-top-style:dashed}
.key{display:inline-block;width:12px;height:12px;border-radius:2px;background:var(--c);vertical-align:-2px;margin:0 6px 0 10px}
.key:first-child{margin-left:0}
details.boundary{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0}
details.boundary summary{cursor:pointer;font-weight:600}
details.boundary[open] summary{margin-bottom:10px}
.ns-table{font-size:12px}
.ns-table th,.ns-table td{padding:4px 10px;border-bottom:1px solid var(--line)}
.ns-table thead th{text-align:center}
.ns-table td{text-align:right;white-space:nowrap;background:linear-gradient(90deg,rgba(15,118,110,.16) var(--r),transparent var(--r))}
.ns-table td.none{text-align:center;color:#9ca3af;background:none}
.ns-dims{font-weight:600}
.ns-ratio{color:var(--muted);margin-left:6px}
.empty-note{color:var(--muted);font-style:italic}
pre.config{margin:0;background:#0f172a;color:#e2e8f0;padding:14px 16px;border-radius:8px;overflow:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media (max-width:720px){.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}.grid{grid-template-columns:1fr}}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}}
`;
