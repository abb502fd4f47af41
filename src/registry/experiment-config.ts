import './builtins.js';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../config/load-config.js';
import {
  coreSections,
  dataCore,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from '../config/schema.js';
import { datasets, models, strategies } from './components.js';
import type { Registry } from './shared-registry.js';

type AnyRegistry = Registry<unknown>;

/** The optional sections of every registered component that has settings, by name. */
function sections(registry: AnyRegistry, kind: string): Record<string, z.ZodType> {
  return Object.fromEntries(
    registry
      .list()
      .filter((e) => e.settings !== null)
      .map((e) => [e.name, e.settings!.optional().describe(`settings of the ${kind} '${e.name}'`)]),
  );
}

function choice(registry: AnyRegistry, fallback: string, description: string) {
  return z
    .enum(registry.names() as [string, ...string[]])
    .default(fallback)
    .describe(description);
}

/**
 * The whole config schema as registered now: the core sections, the choice of strategy, model
 * and data set among the registered ones, and each registered component's own section.
 */
export function experimentSchema() {
  const data = z.strictObject({
    dataset: choice(datasets, 'fashion-mnist', 'data set (a registered name)'),
    ...dataCore,
    ...sections(datasets, 'data set'),
  });
  const model = z.strictObject({
    type: choice(models, 'mlp', 'model (a registered name)'),
    ...sections(models, 'model'),
  });
  return z.strictObject({
    ...coreSections,
    strategy: choice(strategies, 'adam-nscl', 'continual-learning strategy (a registered name)'),
    data: data.prefault({}).describe('the task sequence'),
    model: model.prefault({}).describe('the network'),
    ...sections(strategies, 'strategy'),
  });
}

/** Validates a config against the registered components; the active ones' sections get their defaults. */
export function parseConfig(input: unknown, source: string): ExperimentConfig {
  const result = experimentSchema().safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  ${formatIssue(i)}`).join('\n');
    throw new ConfigError(`invalid config (${source}):\n${issues}`);
  }
  const c = result.data as ExperimentConfig;
  return {
    ...withSection(c, strategies, c.strategy),
    data: withSection(c.data, datasets, c.data.dataset),
    model: withSection(c.model, models, c.model.type),
  } as ExperimentConfig;
}

function withSection<T extends Record<string, unknown>>(
  holder: T,
  registry: AnyRegistry,
  name: string,
): T {
  const settings = registry.get(name).settings;
  if (settings === null || holder[name] !== undefined) return holder;
  return { ...holder, [name]: settings.parse({}) };
}

/**
 * Imports the modules a config names in `imports` (plugins that register components) and
 * returns the config with their paths absolute. Relative paths are taken from the working
 * directory; saved absolute, they load the same files when a run is resumed from elsewhere.
 */
export async function resolveImports(
  input: ExperimentConfigInput,
  source: string,
): Promise<ExperimentConfigInput> {
  if (input.imports === undefined) return input;
  const listed = coreSections.imports.safeParse(input.imports);
  if (!listed.success)
    throw new ConfigError(
      `invalid config (${source}):\n  imports: expected a list of module paths`,
    );
  const imports = listed.data.map(resolveImport);
  for (const specifier of imports) await importPlugin(specifier);
  return { ...input, imports };
}

/** Imports the config's plugins (see resolveImports), then parses it. */
export async function loadConfig(input: ExperimentConfigInput, source: string) {
  return parseConfig(await resolveImports(input, source), source);
}

/** File paths become absolute; package names stay as they are. */
export function resolveImport(specifier: string): string {
  const isPath =
    specifier.startsWith('.') || isAbsolute(specifier) || /\.[cm]?[jt]s$/.test(specifier);
  return isPath ? resolve(specifier) : specifier;
}

/** Imports a plugin module; `.ts` files go through tsx's loader when tsx is installed. */
export async function importPlugin(specifier: string): Promise<void> {
  const url = isAbsolute(specifier) ? pathToFileURL(specifier).href : specifier;
  try {
    await import(url);
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION' &&
      /\.[cm]?ts$/.test(specifier)
    ) {
      await importTypeScript(specifier, url);
      return;
    }
    throw new ConfigError(`cannot import ${specifier}: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function importTypeScript(specifier: string, url: string): Promise<void> {
  let api: { tsImport(url: string, parent: string): Promise<unknown> };
  try {
    api = await import('tsx/esm/api' as string);
  } catch {
    throw new ConfigError(
      `cannot import ${specifier}: TypeScript modules need tsx (npm install tsx), or compile it to .js`,
    );
  }
  await api.tsImport(url, import.meta.url);
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${path}.` : '';
    const keys = issue.keys.map((k) => prefix + k + hint(issue.path, k)).join(', ');
    return `unknown key${issue.keys.length > 1 ? 's' : ''}: ${keys}`;
  }
  return `${path}: ${issue.message}`;
}

/** Where a misplaced key lives: in the section of a component that declares it. */
function hint(path: readonly PropertyKey[], key: string): string {
  const at = path.join('.');
  const registry =
    at === '' ? strategies : at === 'model' ? models : at === 'data' ? datasets : null;
  if (!registry) return '';
  const owners = registry
    .list()
    .filter((e) => e.settings && Object.hasOwn(e.settings.shape, key))
    .map((e) => [at, e.name, key].filter(Boolean).join('.'));
  return owners.length > 0 ? ` (did you mean ${owners.join(' or ')}?)` : '';
}
