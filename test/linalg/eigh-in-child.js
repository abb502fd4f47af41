// @ts-check
/**
 * Run by worker-loading.test.ts in a child process, `node [--import tsx] eigh-in-child.js DIR`
 * with DIR the compiled dist/ (plain node) or src/ (tsx): decomposes, with two threads and
 * with one, a dense matrix of known spectrum large enough for the worker threads, and prints
 * what the test checks as JSON.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const load = (/** @type {string} */ file) => import(pathToFileURL(join(dir, file)).href);
const { eigh } = await load('linalg/eigh.js');
const { runningWorkers, setThreads } = await load('linalg/threads.js');

// A = H D H with the Householder reflection H = I − 2uuᵀ (‖u‖ = 1): dense, eigenvalues d.
// Entry (i, j) is δᵢⱼ dᵢ − 2 uᵢ uⱼ (dᵢ + dⱼ − 2μ), μ = uᵀDu.
const n = 640;
const d = Array.from({ length: n }, (_, i) => i - n / 3);
const u = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
const norm = Math.hypot(...u);
for (let i = 0; i < n; i++) u[i] /= norm;
const mu = d.reduce((s, di, i) => s + di * u[i] * u[i], 0);
const a = new Float64Array(n * n);
for (let i = 0; i < n; i++) {
  for (let j = 0; j < n; j++)
    a[i * n + j] = (i === j ? d[i] : 0) - 2 * u[i] * u[j] * (d[i] + d[j] - 2 * mu);
}

setThreads(2);
const threaded = eigh(a, n).values;
const workers = runningWorkers();
setThreads(1);
const single = eigh(a, n).values;

let spectrumError = 0;
let threadsDifference = 0;
for (let k = 0; k < n; k++) {
  spectrumError = Math.max(spectrumError, Math.abs(threaded[k] - d[k]));
  threadsDifference = Math.max(threadsDifference, Math.abs(threaded[k] - single[k]));
}
const scale = Math.max(...d.map(Math.abs));
console.log(JSON.stringify({ n, workers, spectrumError, threadsDifference, scale }));
