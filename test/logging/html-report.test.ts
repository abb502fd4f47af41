import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, domProblems, dumpDom } from '../../scripts/check-report.js';
import {
  configText,
  humanDuration,
  renderReport,
  writeReport,
} from '../../src/logging/html-report.js';
import {
  escapeHtml,
  niceTicks,
  sampleIndices,
  spectrumChart,
} from '../../src/logging/svg-charts.js';
import { syntheticResults } from './fixtures.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'report-test-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('renderReport', () => {
  const results = syntheticResults();
  const html = renderReport(results, { lr: 0.001, tasks: 3 });

  it('is one self-contained page', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  });

  it('has a heat-map cell per matrix entry with the printed value', () => {
    for (const [t, row] of results.accMatrix.entries()) {
      for (const [j, v] of row.entries()) {
        const cell = html.match(
          new RegExp(`<td class="cell[^"]*" data-t="${t}" data-j="${j}"[^>]*>([^<]*)</td>`),
        );
        expect(cell, `cell ${t},${j}`).not.toBeNull();
        expect(cell?.[1]).toBe(v === null ? '–' : v.toFixed(1));
      }
    }
    expect(count(html, /data-t="\d+" data-j="\d+"/g)).toBe(9);
    expect(count(html, /<td class="cell empty" data-t/g)).toBe(3);
    expect(count(html, /data-diag="1"/g)).toBe(3);
  });

  it('shows the summary metrics and the run facts', () => {
    expect(html).toContain('95.42%');
    expect(html).toContain('−2.63');
    expect(html).toContain('−0.25');
    expect(html).toContain('50.1 s');
    expect(html).toContain('adam-nscl');
  });

  it('draws one spectrum per layer for the last boundary, kept part marked', () => {
    const last = html.slice(html.indexOf('spectra-last'), html.indexOf('Earlier task boundaries'));
    expect(count(last, /<svg[^>]*class="spectrum"/g)).toBe(2);
    expect(count(last, /class="eig-kept"/g)).toBe(2);
    expect(count(last, /class="eig-rest"/g)).toBe(2);
    expect(count(last, /class="kept-boundary"/g)).toBe(2);
    expect(last).toContain('null space kept: 8 of 27 (29.6%)');
    expect(last).toContain('null space kept: 19 of 64 (29.7%)');
    // Earlier boundaries are folded away in <details>, newest first.
    expect(count(html, /<details class="boundary">/g)).toBe(2);
    expect(count(html, /<svg[^>]*class="spectrum"/g)).toBe(6);
  });

  it('tabulates kept/n per layer and task above the spectra', () => {
    const table = html.slice(
      html.indexOf('<section id="nullspace"'),
      html.indexOf('<section id="spectra"'),
    );
    expect(html.indexOf('<section id="nullspace"')).toBeGreaterThan(0);
    expect(html.indexOf('<section id="nullspace"')).toBeLessThan(
      html.indexOf('<section id="spectra"'),
    );
    for (const [t, layers] of results.projection.entries()) {
      for (const p of layers) {
        const cell = table.match(
          new RegExp(`<td class="ns" data-layer="${p.layer}" data-t="${t}"[^>]*>(.*?)</td>`),
        );
        expect(cell?.[1], `${p.layer} after T${t}`).toBe(
          `<span class="ns-dims">${p.kept}/${p.n}</span><span class="ns-ratio">${(100 * p.ratio).toFixed(1)}%</span>`,
        );
      }
    }
    expect(table).toContain(
      '<span class="ns-dims">12/27</span><span class="ns-ratio">44.4%</span>',
    );
    expect(count(table, /<tr><th scope="row">/g)).toBe(2);
    expect(count(table, /<td class="ns/g)).toBe(6);
  });

  it('marks tasks without a null space with an em dash and leaves the table out without any', () => {
    const [first, second] = syntheticResults().projection;
    const out = renderReport(syntheticResults({ projection: [first, second, []] }), {});
    const table = out.slice(
      out.indexOf('<section id="nullspace"'),
      out.indexOf('<section id="spectra"'),
    );
    expect(count(table, /<td class="ns" /g)).toBe(4);
    expect(count(table, /<td class="ns none"[^>]*>—<\/td>/g)).toBe(2);
    expect(count(table, /<th scope="col"[^>]*><span class="tid">T\d<\/span><\/th>/g)).toBe(3);
    const none = renderReport(syntheticResults({ projection: [[], [], []] }), {});
    expect(none).not.toContain('id="nullspace"');
  });

  it('draws the per-task and per-epoch charts with legends', () => {
    for (const cls of ['acc-curves', 'loss-curves', 'epoch-loss', 'epoch-acc']) {
      expect(html).toContain(`class="chart ${cls}"`);
    }
    const acc = html.slice(html.indexOf('chart acc-curves'), html.indexOf('chart loss-curves'));
    expect(count(acc, /<polyline/g)).toBe(3);
    expect(acc).toContain('T0 digits 0-1');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('escapes every piece of user text', () => {
    const evil = '<img src=x onerror="alert(1)">&';
    const r = syntheticResults({
      name: evil,
      strategy: evil,
      backend: evil,
      taskNames: [evil, 'b', 'c'],
    });
    const out = renderReport(r, { note: evil });
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;');
    expect(out).toContain('&quot;note&quot;: &quot;&lt;img');
  });

  it('renders runs without projection, epochs or measurements', () => {
    const out = renderReport(
      syntheticResults({
        projection: [[], [], []],
        epochs: [],
        accMatrix: [],
        trainLoss: [],
        initialAcc: [],
        forgetting: [],
        ACC: null,
        BWT: null,
        FWT: null,
        taskSeconds: [],
      }),
      undefined,
    );
    expect(out).toContain('does not project gradients');
    expect(out).toContain('No epoch records.');
    expect(out).toContain('(none)');
    expect(out).not.toMatch(/NaN|Infinity/);
  });
});

describe('chart helpers', () => {
  it('draws zero and negative eigenvalues at the axis floor', () => {
    const svg = spectrumChart({ layer: 'l', spectrum: [-1e-9, 0, 1e-4, 1, 10], kept: 2 });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).toContain('null space kept: 2 of 5 (40.0%)');
    const layer = { layer: 'l', n: 5, kept: 2, lambdaMin: -1e-9, lambdaMax: 10, ratio: 0.4 };
    const html = renderReport(
      syntheticResults({ projection: [[{ ...layer, spectrum: [-1e-9, 0, 1e-4, 1, 10] }]] }),
      {},
    );
    expect(html).toContain('2 eigenvalues ≤ 0 drawn at the axis floor');
  });

  it('samples large spectra but keeps the ends and the kept boundary', () => {
    const idx = sampleIndices(5000, 1234, 100);
    expect(idx.length).toBeLessThanOrEqual(104);
    expect(idx).toEqual(expect.arrayContaining([0, 1233, 1234, 4999]));
    expect(sampleIndices(5, 2, 100)).toEqual([0, 1, 2, 3, 4]);
  });

  it('escapes, ticks and formats', () => {
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe(
      '&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;',
    );
    expect(niceTicks(93, 99)).toEqual([93, 94, 95, 96, 97, 98, 99]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(humanDuration(125)).toBe('2 min 05 s');
    expect(humanDuration(7260)).toBe('2 h 01 min');
  });

  it('prints cyclic and BigInt configs instead of throwing', () => {
    const cfg: Record<string, unknown> = { n: 1n };
    cfg.self = cfg;
    expect(configText(cfg)).toBe('{\n  "n": "1n",\n  "self": "[circular]"\n}');
  });
});

describe('writeReport', () => {
  it('writes report.html atomically, leaving no temp files', () => {
    const dir = join(tempDir(), 'nested', 'run');
    const path = writeReport(dir, syntheticResults(), { a: 1 });
    expect(path).toBe(join(dir, 'report.html'));
    expect(readdirSync(dir)).toEqual(['report.html']);
    expect(readFileSync(path, 'utf8')).toContain('synthetic-3task');
    writeReport(dir, syntheticResults({ name: 'second' }), {});
    expect(readdirSync(dir)).toEqual(['report.html']);
    expect(readFileSync(path, 'utf8')).toContain('second');
  });
});

describe('in a real browser', () => {
  // Chromium is an apt package, not an npm dependency: CI images without it skip this check.
  it.skipIf(!existsSync(CHROMIUM))(
    'renders the heat map and svg charts in headless Chromium',
    () => {
      const results = syntheticResults();
      const path = writeReport(tempDir(), results, { check: true });
      expect(domProblems(dumpDom(path), results)).toEqual([]);
    },
  );
});
