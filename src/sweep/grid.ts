import { ConfigError } from '../config/load-config.js';

/** One grid axis: a config key (as typed, aliases allowed) and the values it takes. */
export interface GridAxis {
  readonly key: string;
  readonly values: readonly string[];
}

/** A grid point: one `key=value` per axis, in axis order. */
export type GridPoint = readonly string[];

/** Parses `key=v1,v2,...`; commas inside [] or {} belong to the value (`model.mlp.hidden=[32,32],[64]`). */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--grid expects key=v1,v2,..., got '${text}'`);
  const key = text.slice(0, eq);
  const values = splitTopLevel(text.slice(eq + 1));
  if (values.length === 0 || values.some((v) => v === '')) {
    throw new ConfigError(`--grid ${key}: empty value in '${text}'`);
  }
  return { key, values };
}

function splitTopLevel(text: string): string[] {
  if (text === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** Axes given more than once are a mistake, not an override. */
export function checkAxes(axes: readonly GridAxis[]): void {
  const keys = axes.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new ConfigError(`--grid ${dup} given twice`);
}

/** The Cartesian product of the axes, the last axis varying fastest; no axes gives one empty point. */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let points: GridPoint[] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => [...p, `${axis.key}=${v}`]));
  }
  return points;
}

export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) {
    throw new ConfigError(`--seeds expects non-negative integers like 0,1,2, got '${text}'`);
  }
  return seeds.map(Number);
}

/** A point's directory name (`a=10,strategy=ewc`), with path separators made harmless. */
export function pointLabel(point: GridPoint): string {
  return point.length === 0 ? 'base' : point.join(',').replace(/[/\\\s]/g, '_');
}

/** A grid point's `key=value` entry as key and value; the value may hold '=' itself. */
export function splitAssignment(kv: string): [key: string, value: string] {
  const eq = kv.indexOf('=');
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

/** The point as `{key: value}`, values read as JSON where they parse (`a=10` → 10). */
export function pointValues(point: GridPoint): Record<string, unknown> {
  return Object.fromEntries(
    point.map((kv) => {
      const [key, text] = splitAssignment(kv);
      try {
        return [key, JSON.parse(text)];
      } catch {
        return [key, text];
      }
    }),
  );
}
