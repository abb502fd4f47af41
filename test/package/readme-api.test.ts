import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { ROOT } from '../cli/run-cli.js';

/** The README's "Using the library" section: every name it shows must come from the package root. */
function librarySection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Using the library');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('README library section', () => {
  it('names only what the package root exports', () => {
    const section = librarySection();
    const inCode = [...section.matchAll(/`([A-Za-z][A-Za-z0-9]*)(?:\(|`|\/)/g)].map((m) => m[1]);
    const imported = [...section.matchAll(/import \{([^}]+)\} from 'nullspace-cl'/g)].flatMap((m) =>
      m[1].split(',').map((s) => s.trim()),
    );
    // Lower-case words in backticks that are not code (settings, file names) are left out.
    const names = [...new Set([...inCode, ...imported])].filter((n) => /[A-Z]/.test(n) || n in api);
    expect(names.length).toBeGreaterThan(40);
    // Types (erased at run time) and option names the section mentions.
    const notValues = new Set(['LabelledDataset', 'TaskSequence', 'stopAfterTasks', 'wasmThreads']);
    expect(names.filter((n) => !(n in api) && !notValues.has(n))).toEqual([]);
  });
});
