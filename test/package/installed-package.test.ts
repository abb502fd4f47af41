/**
 * The package as a user gets it: `npm pack`, installed into a new project, used with plain node
 * (no tsx, no TypeScript), as a library and as the `nullspace-cl` program, with plugins.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

const project = mkdtempSync(join(tmpdir(), 'nscl-consumer-'));
let tarball: string;
let files: string[];

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  const packed = JSON.parse(
    // dist/ is already built (test/global-setup.ts); prepare would rebuild it under other tests.
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )[0];
  tarball = join(project, packed.filename);
  files = packed.files.map((f: { path: string }) => f.path);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // Offline where the cache has everything; the native tfjs backends fail to install and are skipped.
  run('npm', [
    'install',
    tarball,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
}, 600_000);

describe('the installed package', () => {
  it('ships the compiled library, presets and the embedded data, and no tests or benchmarks', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/linalg/kernel-worker.js');
    expect(files).toContain('experiments/default.json');
    expect(files).toContain('datasets/fashion-mnist-subset/train-images-idx3-ubyte.gz');
    expect(files.filter((f) => /^(test|bench|src|scripts)\//.test(f))).toEqual([]);
  });

  it('imports under plain node: the math works and the API is there', () => {
    const script = `
      import * as ns from 'nullspace-cl';
      const { values } = ns.eigh(Float64Array.of(2, 1, 1, 2), 2);
      console.log(JSON.stringify({
        values: Array.from(values),
        functions: ['runContinual', 'registerStrategy', 'registerModel', 'registerDataset',
          'fromLayersModel', 'editLinear', 'loadSequence', 'parseConfig']
          .filter((name) => typeof ns[name] === 'function'),
      }));`;
    const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script]));
    expect(out.values[0]).toBeCloseTo(1, 12);
    expect(out.values[1]).toBeCloseTo(3, 12);
    expect(out.functions).toEqual([
      'runContinual',
      'registerStrategy',
      'registerModel',
      'registerDataset',
      'fromLayersModel',
      'editLinear',
      'loadSequence',
      'parseConfig',
    ]);
  });

  it('runs `npx nullspace-cl experiment` to a results.json, and lists its settings in --help', () => {
    const out = join(project, 'run');
    run('npx', [
      'nullspace-cl',
      'experiment',
      '--set',
      'train.epochs=1',
      '--set',
      'data.trainLimit=200',
      '--set',
      'log.progress=false',
      '--out',
      out,
    ]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.status).toBe('completed');
    expect(results.accMatrix).toHaveLength(5);
    const help = run('npx', ['nullspace-cl', 'experiment', '--help']);
    expect(help).toMatch(/adam-nscl\.a +number ≥ 1 = 10\n +relative rule/);
    expect(run('npx', ['nullspace-cl', '--help'])).toMatch(/experiment +train a task sequence/);
  });

  it.each([
    ['an ES module', 'plugin.mjs', `import { registerStrategy, z } from 'nullspace-cl';`],
    [
      'a CommonJS module',
      'cjs/plugin.js',
      `const { registerStrategy, z } = require('nullspace-cl');`,
    ],
  ])('lets %s plugin register into the registry the program reads', (_, file, head) => {
    const name = `plugin-${file.replace(/\W/g, '')}`;
    const path = join(project, file);
    if (file.startsWith('cjs/')) {
      mkdirSync(join(project, 'cjs'), { recursive: true });
      writeFileSync(join(project, 'cjs', 'package.json'), '{"type": "commonjs"}');
    }
    writeFileSync(
      path,
      `${head}
registerStrategy('${name}', () => ({ name: '${name}' }), { level: z.number().default(3) });
`,
    );
    const out = join(project, `run-${name}`);
    run('npx', [
      'nullspace-cl',
      'experiment',
      '--import',
      path,
      '--set',
      `strategy=${name}`,
      '--set',
      `${name}.level=5`,
      '--set',
      'data.tasks=2',
      '--set',
      'train.epochs=1',
      '--set',
      'data.trainLimit=100',
      '--out',
      out,
    ]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config[name]).toEqual({ level: 5 });
    expect(config.imports).toEqual([path]);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
  });
});
