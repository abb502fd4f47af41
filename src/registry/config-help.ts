import { z } from 'zod';
import { experimentSchema } from './experiment-config.js';

/** A JSON-schema node as zod's toJSONSchema writes it (only what the help reads). */
interface Node {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly Node[];
  readonly items?: Node;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
}

export interface ConfigKey {
  readonly key: string;
  readonly type: string;
  /** JSON of the default, or '' when the key has none (a section given only when used). */
  readonly defaultValue: string;
  readonly description: string;
}

/**
 * Every settable key of the config as the registries stand now, with its type, default and
 * meaning, read from the zod schema itself so that the help cannot drift from what is parsed.
 */
export function configKeys(): ConfigKey[] {
  const root = z.toJSONSchema(experimentSchema(), { io: 'input', unrepresentable: 'any' }) as Node;
  return leaves(root, '');
}

function leaves(node: Node, prefix: string): ConfigKey[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child.type === 'object' && child.properties) return leaves(child, key);
    return [
      {
        key,
        type: typeName(child),
        defaultValue: child.default === undefined ? '' : JSON.stringify(child.default),
        description: child.description ?? '',
      },
    ];
  });
}

const SAFE = Number.MAX_SAFE_INTEGER;

function typeName(node: Node): string {
  if (node.anyOf) return node.anyOf.map(typeName).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map(String).join(' | ');
  if (node.type === 'array') return `${node.items ? typeName(node.items) : 'any'}[]`;
  if (node.type === 'number' || node.type === 'integer') return `${node.type}${bounds(node)}`;
  const type = node.type ?? 'any';
  return typeof type === 'string' ? type : type.join(' | ');
}

function bounds(node: Node): string {
  const parts: string[] = [];
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  else if (node.minimum !== undefined && node.minimum > -SAFE) parts.push(`≥ ${node.minimum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  else if (node.maximum !== undefined && node.maximum < SAFE) parts.push(`≤ ${node.maximum}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/**
 * The keys grouped by section: `key  type = default` on one line, its meaning indented below,
 * so that the listing stays readable in an 80-column terminal.
 */
export function formatConfigKeys(keys: readonly ConfigKey[]): string {
  const width = Math.max(...keys.map((k) => k.key.length));
  const section = (key: string) => key.split('.')[0];
  return keys
    .map((k, i) => {
      const gap = i > 0 && section(keys[i - 1].key) !== section(k.key) ? '\n' : '';
      const def = k.defaultValue === '' ? '' : ` = ${k.defaultValue}`;
      return `${gap}  ${k.key.padEnd(width)}  ${k.type}${def}\n      ${k.description}`;
    })
    .join('\n');
}
