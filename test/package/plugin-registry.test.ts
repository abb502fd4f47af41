import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../cli/run-cli.js';

/** A user's project: this package installed (linked), and one plugin file of each kind. */
const project = mkdtempSync(join(tmpdir(), 'nscl-plugins-'));

const PLUGINS = {
  // An ES module importing the package by name.
  'esm-plugin': {
    file: 'esm-plugin.mjs',
    head: "import { registerStrategy, z } from 'nullspace-cl';",
  },
  // A CommonJS module: require() may hand it a copy of the package of its own.
  'cjs-plugin': {
    file: 'cjs/cjs-plugin.js',
    head: "const { registerStrategy, z } = require('nullspace-cl');",
  },
  // TypeScript outside a "type": "module" folder: tsx compiles it to CommonJS.
  'ts-plugin': {
    file: 'cjs/ts-plugin.ts',
    head: "import { registerStrategy, type Strategy, z } from 'nullspace-cl';\nconst unused: Strategy | null = null;",
  },
} as const;

beforeAll(() => {
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'nullspace-cl'));
  mkdirSync(join(project, 'cjs'));
  writeFileSync(join(project, 'cjs', 'package.json'), '{ "type": "commonjs" }');
  for (const [name, { file, head }] of Object.entries(PLUGINS)) {
    const body = `registerStrategy('${name}', () => ({ name: '${name}' }), { level: z.number().default(1) });`;
    writeFileSync(join(project, file), `${head}\n${body}\n`);
  }
});

/**
 * Whatever copy of the package a plugin gets, its registration lands in the registry the
 * program reads: one registry per process, with the program run from dist/ or from src/.
 */
describe.each(['dist', 'src'] as const)('plugins, with the program run from %s', (from) => {
  it.each(Object.keys(PLUGINS) as (keyof typeof PLUGINS)[])(
    '%s registers a strategy and its settings',
    async (name) => {
      const plugin = join(project, PLUGINS[name].file);
      const out = join(project, `run-${from}-${name}`);
      const done = await runCli(
        [
          'experiment',
          '--import',
          plugin,
          ...['strategy', `${name}.level=4`, 'data.tasks=2', 'train.epochs=1']
            .map((s) => (s === 'strategy' ? `strategy=${name}` : s))
            .flatMap((s) => ['--set', s]),
          ...['data.trainLimit=60', 'log.progress=false'].flatMap((s) => ['--set', s]),
          '--backend',
          'cpu',
          '--out',
          out,
        ],
        { from, cwd: project },
      );
      expect(done.code, done.stderr).toBe(0);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(config.strategy).toBe(name);
      expect(config[name]).toEqual({ level: 4 });
      const help = await runCli(['experiment', '--import', plugin, '--help'], {
        from,
        cwd: project,
      });
      expect(help.stdout).toMatch(new RegExp(`${name}\\.level +number`));
    },
  );
});
