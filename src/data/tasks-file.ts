import { readFileSync } from 'node:fs';

/**
 * A task sequence written down as data: a JSON array of tasks, each an array of class names or
 * class ids of the data set (`[["cat", "dog"], ["car", 7]]`). Resolved against the data set's
 * class names, so the same file works for every data set that has those classes.
 */
export function readTasksFile(
  path: string,
  classNames: readonly string[],
  displayNames: readonly string[] = [],
): number[][] {
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ? 'cannot be read' : 'is not valid JSON';
    throw new Error(`tasks file ${path} ${reason}: ${(err as Error).message}`);
  }
  return resolveTaskClasses(spec, classNames, `tasks file ${path}`, displayNames);
}

/** Names are looked up among classNames first, then among the display names. */
export function resolveTaskClasses(
  spec: unknown,
  classNames: readonly string[],
  source: string,
  displayNames: readonly string[] = [],
): number[][] {
  if (!Array.isArray(spec) || spec.length === 0 || !spec.every(Array.isArray)) {
    throw new Error(
      `${source}: expected a non-empty JSON array of tasks, each an array of classes`,
    );
  }
  const byName = new Map(displayNames.map((name, id) => [name, id]));
  for (const [id, name] of classNames.entries()) byName.set(name, id);
  return (spec as unknown[][]).map((task, t) =>
    task.map((entry) => classId(entry, byName, classNames.length, `${source}, task ${t}`)),
  );
}

function classId(
  entry: unknown,
  byName: ReadonlyMap<string, number>,
  count: number,
  where: string,
): number {
  if (typeof entry === 'number') {
    if (Number.isInteger(entry) && entry >= 0 && entry < count) return entry;
    throw new Error(`${where}: class id ${entry} is outside 0..${count - 1}`);
  }
  if (typeof entry === 'string') {
    const id = byName.get(entry);
    if (id !== undefined) return id;
    const near = [...byName.keys()].filter((n) => n.toLowerCase() === entry.toLowerCase());
    const hint = near.length > 0 ? ` (did you mean '${near[0]}'?)` : '';
    throw new Error(`${where}: unknown class '${entry}'${hint}`);
  }
  throw new Error(`${where}: a class is a name or an id, got ${JSON.stringify(entry)}`);
}
