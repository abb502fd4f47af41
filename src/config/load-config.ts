import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { type ExperimentConfig, type ExperimentConfigInput, experimentSchema } from './schema.js';

/** A config that failed validation; the message lists every offending key. */
export class ConfigError extends Error {}

export function parseConfig(input: unknown, source: string): ExperimentConfig {
  const result = experimentSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `  ${formatIssue(i)}`).join('\n');
  throw new ConfigError(`invalid config (${source}):\n${issues}`);
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${path}.` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map((k) => prefix + k).join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

export function readConfigFile(path: string): ExperimentConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`cannot read config file ${path}`);
  }
  try {
    return JSON.parse(text) as ExperimentConfigInput;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Short names accepted by --set and --grid for the settings people sweep most. */
const ALIASES: Record<string, string> = {
  a: 'nscl.a',
  epochs: 'train.epochs',
  lambda: 'ewc.lambda',
};

/**
 * Applies `key=value` overrides (dotted paths) to a plain config object. Values are read as
 * JSON when they parse (numbers, booleans, arrays, null) and as strings otherwise.
 */
export function applyOverrides(
  base: Record<string, unknown>,
  overrides: readonly string[],
): Record<string, unknown> {
  const out = structuredClone(base);
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got '${item}'`);
    const rawKey = item.slice(0, eq);
    const path = (ALIASES[rawKey] ?? rawKey).split('.');
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node[part] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new ConfigError(`--set ${rawKey}: '${part}' is not a section`);
      }
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseValue(item.slice(eq + 1));
  }
  return out;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
