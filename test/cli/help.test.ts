import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('--help', () => {
  it('every command the program lists answers --help with its usage and exit 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(commands).toEqual(['experiment', 'sweep', 'reproduce', 'datasets', 'edit', 'bench']);
    for (const command of commands) {
      const help = await runCli([command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toContain(`usage: nullspace-cl ${command}`);
    }
  }, 120_000);
});
