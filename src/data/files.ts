import { readFile, stat } from 'node:fs/promises';

/** Reads a file the data set cannot do without, naming it in the error when it is absent. */
export async function readRequired(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`Missing data file: ${file}`);
    }
    throw err;
  }
}

export async function requireDirectory(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`Missing ${what}: ${dir} is not a directory`);
}

/** The text of a file the data set can do without, or undefined when it is absent. */
export async function readOptionalText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Non-empty lines, without trailing carriage returns from files written on Windows. */
export function nonEmptyLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}
