import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { applyOverrides, ConfigError } from '../config/load-config.js';
import { loadPreset } from '../config/presets.js';
import { escapeHtml } from '../logging/svg-charts.js';
import { writeAtomic } from '../util/write-atomic.js';
import type { GridAxis } from './grid.js';
import { markdownTable, meanStd, type SweepRow } from './summary.js';
import type { SweepSpec } from './sweep-plan.js';

/** Where the shipped specs live: experiments/reproductions/*.json. */
const REPRODUCTION_DIR = fileURLToPath(
  new URL('../../experiments/reproductions/', import.meta.url),
);

const published = z.strictObject({
  value: z.number().describe('the published mean'),
  std: z.number().min(0).nullable().default(null).describe('its reported std, where given'),
});

/** A published table as data: the runs that reproduce it and the values it reports. */
const reproductionSpec = z.strictObject({
  title: z.string().min(1),
  /** The paper, table or figure the values come from. */
  reference: z.string().min(1),
  preset: z.string().min(1),
  /** Config overrides on the preset, as --set takes them. */
  set: z.array(z.string()).default([]),
  /** Grid keys and their values (JSON values), as --grid takes them. */
  grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  seeds: z.array(z.number().int().min(0)).min(1),
  rows: z
    .array(
      z.strictObject({
        label: z.string().min(1),
        /** The grid point of this row: key → value, one per grid key. */
        point: z.record(z.string(), z.unknown()).default({}),
        ACC: published.nullable().default(null),
        BWT: published.nullable().default(null),
      }),
    )
    .min(1),
  note: z.string().optional(),
});

export type ReproductionSpec = z.output<typeof reproductionSpec>;

export function reproductionNames(): string[] {
  if (!existsSync(REPRODUCTION_DIR)) return [];
  return readdirSync(REPRODUCTION_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A spec by name (experiments/reproductions/NAME.json) or by path. */
export function loadReproduction(nameOrPath: string): ReproductionSpec {
  const path = nameOrPath.endsWith('.json')
    ? nameOrPath
    : join(REPRODUCTION_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    throw new ConfigError(
      `unknown reproduction '${nameOrPath}': choose one of ${reproductionNames().join(', ')}, or give a spec file`,
    );
  }
  const parsed = reproductionSpec.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid reproduction spec ${path}:\n${issues.join('\n')}`);
  }
  return parsed.data;
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The sweep a spec describes; the caller's own overrides (a data dir, say) go on its base. */
export function reproductionSweep(spec: ReproductionSpec): SweepSpec {
  const axes: GridAxis[] = Object.entries(spec.grid).map(([key, values]) => ({
    key,
    values: values.map(asText),
  }));
  return {
    base: applyOverrides(loadPreset(spec.preset), spec.set),
    source: `reproduction '${spec.title}' (preset ${spec.preset})`,
    axes,
    seeds: spec.seeds,
  };
}

export interface Comparison {
  readonly label: string;
  readonly metric: 'ACC' | 'BWT';
  readonly n: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly published: number | null;
  readonly publishedStd: number | null;
  /** ours − published. */
  readonly difference: number | null;
  /** See `withinSpread`; null when it cannot be judged. */
  readonly within: boolean | null;
}

/**
 * Whether the published value lies within our seeds' spread: |published − mean| ≤ our sample
 * std, plus the published std where the paper reports one. Fewer than two seeds: no spread.
 */
export function withinSpread(
  mean: number,
  std: number | null,
  value: number,
  publishedStd: number | null,
): boolean | null {
  if (std === null) return null;
  return Math.abs(value - mean) <= std + (publishedStd ?? 0);
}

/** Each spec row's metrics, ours (from the sweep's rows) beside the published values. */
export function compare(spec: ReproductionSpec, rows: readonly SweepRow[]): Comparison[] {
  const keys = Object.keys(spec.grid);
  const find = (point: Record<string, unknown>) =>
    rows.find((r) => keys.every((k, i) => r.point[i] === `${k}=${asText(point[k])}`));
  return spec.rows.flatMap((row) => {
    const ours = find(row.point);
    return (['ACC', 'BWT'] as const).map((metric) => {
      const mean = (metric === 'ACC' ? ours?.accMean : ours?.bwtMean) ?? null;
      const std = (metric === 'ACC' ? ours?.accStd : ours?.bwtStd) ?? null;
      const pub = row[metric];
      return {
        label: row.label,
        metric,
        n: ours?.n ?? 0,
        mean,
        std,
        published: pub?.value ?? null,
        publishedStd: pub?.std ?? null,
        difference: mean !== null && pub ? mean - pub.value : null,
        within: mean !== null && pub ? withinSpread(mean, std, pub.value, pub.std) : null,
      };
    });
  });
}

function cells(c: Comparison): string[] {
  const signed = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${v.toFixed(2)}`);
  const pub =
    c.published === null
      ? '—'
      : `${c.published.toFixed(2)}${c.publishedStd === null ? '' : ` ± ${c.publishedStd.toFixed(2)}`}`;
  const within = c.within === null ? '—' : c.within ? 'yes' : 'no';
  return [
    c.label,
    c.metric,
    meanStd(c.mean, c.std),
    String(c.n),
    pub,
    signed(c.difference),
    within,
  ];
}

const HEADER = [
  'row',
  'metric',
  'ours (mean ± std)',
  'seeds',
  'published',
  'ours − published',
  'within spread',
];

const SPREAD_NOTE =
  'within spread: |published − our mean| ≤ our sample std over seeds (+ the published std where given).';

export function reproductionMarkdown(
  spec: ReproductionSpec,
  comparisons: readonly Comparison[],
): string {
  return [
    `# ${spec.title}`,
    '',
    `Published: ${spec.reference}. Ours: preset \`${spec.preset}\`${spec.set.length ? ` with ${spec.set.map((s) => `\`${s}\``).join(', ')}` : ''}, seeds ${spec.seeds.join(', ')}.`,
    '',
    markdownTable(HEADER, comparisons.map(cells)),
    '',
    SPREAD_NOTE,
    ...(spec.note ? ['', spec.note] : []),
    '',
  ].join('\n');
}

function reproductionHtml(spec: ReproductionSpec, comparisons: readonly Comparison[]): string {
  const row = (c: Comparison) =>
    `<tr class="${c.within === false ? 'off' : ''}">${cells(c)
      .map((x) => `<td>${escapeHtml(x)}</td>`)
      .join('')}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(spec.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}td:first-child,td:nth-child(2),th{text-align:left}
tr.off td{background:#fde8e8}p{max-width:60em}</style></head><body>
<h1>${escapeHtml(spec.title)}</h1>
<p>Published: ${escapeHtml(spec.reference)}. Ours: preset <code>${escapeHtml(spec.preset)}</code>, seeds ${spec.seeds.join(', ')}.</p>
<table><thead><tr>${HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${comparisons.map(row).join('\n')}</tbody></table>
<p>${escapeHtml(SPREAD_NOTE)}</p>${spec.note ? `<p>${escapeHtml(spec.note)}</p>` : ''}
</body></html>
`;
}

export function writeReproduction(
  outDir: string,
  spec: ReproductionSpec,
  rows: readonly SweepRow[],
): string {
  const comparisons = compare(spec, rows);
  const md = reproductionMarkdown(spec, comparisons);
  writeAtomic(join(outDir, 'reproduction.md'), md);
  writeAtomic(join(outDir, 'reproduction.html'), reproductionHtml(spec, comparisons));
  return md;
}
