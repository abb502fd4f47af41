/**
 * Renders a report from synthetic results and loads it in headless Chromium: the page must
 * render with no network and the DOM must hold the heat map and the charts.
 * Usage: npx tsx scripts/check-report.ts [--out <dir>]   (exit code 0 = ok)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../src/logging/html-report.js';
import type { RunResults } from '../src/metrics/run-results.js';
import { syntheticResults } from '../test/logging/fixtures.js';

export const CHROMIUM = '/usr/bin/chromium';

// Flags keep headless Chromium from phoning home or touching the user's profile.
const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  try {
    return execFileSync(CHROMIUM, [...BASE_FLAGS, `--user-data-dir=${profile}`, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export function dumpDom(htmlPath: string): string {
  return chromium(['--dump-dom', pathToFileURL(htmlPath).href]);
}

export function screenshot(htmlPath: string, pngPath: string, size = '1280,2400'): void {
  chromium([`--screenshot=${pngPath}`, `--window-size=${size}`, pathToFileURL(htmlPath).href]);
  if (!existsSync(pngPath) || statSync(pngPath).size === 0) {
    throw new Error(`Chromium wrote no screenshot to ${pngPath}`);
  }
}

const count = (dom: string, re: RegExp) => (dom.match(re) ?? []).length;

/** Problems found in a rendered DOM for `results`; empty when the report is complete. */
export function domProblems(dom: string, results: RunResults): string[] {
  const problems: string[] = [];
  const cells = results.accMatrix.reduce((n, row) => n + row.length, 0);
  const heatCells = count(dom, /<td class="cell[^"]*" data-t="\d+" data-j="\d+"/g);
  if (heatCells !== cells) problems.push(`expected ${cells} heat-map cells, found ${heatCells}`);
  const layers = results.projection.at(-1)?.length ?? 0;
  const spectra = count(dom, /<svg[^>]*class="spectrum"/g);
  if (spectra < layers) problems.push(`expected ≥ ${layers} spectrum svgs, found ${spectra}`);
  if (layers > 0 && count(dom, /class="eig-kept"/g) < layers) problems.push('kept part not marked');
  for (const cls of ['acc-curves', 'loss-curves', 'epoch-loss', 'epoch-acc']) {
    if (!new RegExp(`<svg[^>]*class="chart ${cls}"`).test(dom))
      problems.push(`missing ${cls} chart`);
  }
  if (count(dom, /<polyline/g) === 0) problems.push('no polylines rendered');
  if (/<script/i.test(dom)) problems.push('page contains a script');
  return problems;
}

function main(): void {
  const outFlag = process.argv.indexOf('--out');
  const dir =
    outFlag > 0 ? process.argv[outFlag + 1] : mkdtempSync(join(tmpdir(), 'report-check-'));
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} not found (apt-get install -y chromium)`);
    process.exit(2);
  }
  const results = syntheticResults();
  const html = writeReport(dir, results, { seed: 1, tasks: 3, note: '<synthetic & "check">' });
  const png = join(dir, 'report.png');
  try {
    screenshot(html, png);
    const problems = domProblems(dumpDom(html), results);
    if (problems.length > 0) {
      for (const p of problems) console.error(`FAIL: ${p}`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`FAIL: Chromium: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(`ok: ${html}\n    screenshot: ${png}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
