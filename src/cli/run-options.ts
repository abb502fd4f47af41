import { applyOverrides, ConfigError, readConfigFile } from '../config/load-config.js';
import { loadPreset, presetNames } from '../config/presets.js';
import type { ExperimentConfigInput } from '../config/schema.js';
import { importPlugin, resolveImport } from '../registry/experiment-config.js';

/** parseArgs options of every command that starts runs. */
export const RUN_OPTIONS = {
  preset: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  seed: { type: 'string' },
  import: { type: 'string', multiple: true },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface RunOptionValues {
  readonly preset?: string;
  readonly config?: string;
  readonly set?: readonly string[];
  readonly seed?: string;
  readonly import?: readonly string[];
}

/** Help lines of RUN_OPTIONS, for each command's --help. */
export function runOptionsHelp(): string {
  return [
    `  --preset NAME      start from a preset in experiments/ (default: default): ${presetNames().join(', ')}`,
    "  --config FILE      start from a config file (JSON), e.g. a run's config.json",
    '  --set KEY=VALUE    set one config key (repeatable); values are JSON where they parse',
    '  --seed N           the same as --set seed=N',
    '  --import MODULE    import a plugin first (repeatable; .js/.mjs/.cjs, or .ts with tsx);',
    '                     it is saved in the config, so a resumed run imports it again',
    '  --backend NAME     gpu | node | wasm | cpu (default: the first of these that loads)',
    '  -h, --help         this help',
  ].join('\n');
}

/**
 * The unvalidated config the options describe: `base` (a saved run's config) or the config
 * file or the preset, then --import, --set and --seed on top.
 */
export function rawConfig(
  values: RunOptionValues,
  base?: { readonly raw: ExperimentConfigInput; readonly source: string },
): { raw: ExperimentConfigInput; source: string } {
  if (values.preset && values.config) throw new ConfigError('give --preset or --config, not both');
  const start = base ?? {
    raw: values.config ? readConfigFile(values.config) : loadPreset(values.preset ?? 'default'),
    source: values.config ?? `preset ${values.preset ?? 'default'}`,
  };
  const overrides = [
    ...(values.set ?? []),
    ...(values.seed !== undefined ? [`seed=${values.seed}`] : []),
  ];
  const raw = applyOverrides(start.raw, overrides);
  if (values.import?.length) {
    const listed = Array.isArray(raw.imports) ? (raw.imports as string[]) : [];
    // Absolute already, so that a module a resumed run's saved config lists is not added twice.
    raw.imports = [...new Set([...listed, ...values.import.map(resolveImport)])];
  }
  return { raw, source: start.source };
}

/** Imports the --import modules before --help, so their settings are listed. */
export async function importForHelp(modules: readonly string[] = []): Promise<void> {
  for (const m of modules) await importPlugin(resolveImport(m));
}

/** A sortable local time stamp for default output folders: 20261201T120000. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
}
