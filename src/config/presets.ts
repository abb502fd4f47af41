import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './load-config.js';
import type { ExperimentConfigInput } from './schema.js';

/** Presets are the JSON files in experiments/; each is a partial config over the defaults. */
export const PRESET_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

export function presetNames(): string[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadPreset(name: string): ExperimentConfigInput {
  if (!presetNames().includes(name)) {
    throw new ConfigError(`unknown preset '${name}': choose one of ${presetNames().join(', ')}`);
  }
  return JSON.parse(readFileSync(`${PRESET_DIR}${name}.json`, 'utf8')) as ExperimentConfigInput;
}
