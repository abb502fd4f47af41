import { readFileSync } from 'node:fs';
import type { ExperimentConfigInput } from './schema.js';

/** A config that failed validation; the message lists every offending key. */
export class ConfigError extends Error {}

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

/** Keys that would reach Object.prototype through a plain object. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Short names accepted by --set and --grid for the settings people sweep most. */
const ALIASES: Record<string, string> = {
  a: 'adam-nscl.a',
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
    const bad = path.find((p) => p === '' || FORBIDDEN.has(p));
    if (bad !== undefined) {
      throw new ConfigError(`--set ${rawKey}: '${bad}' is not a valid key`);
    }
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
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
