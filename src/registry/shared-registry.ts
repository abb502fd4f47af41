import { z } from 'zod';

/** A component's settings: a zod object, or the shape of one (`{ strength: z.number() }`). */
export type SettingsSpec = z.ZodObject | z.ZodRawShape;

/** The parsed settings a factory receives for a spec. */
export type SettingsOf<S extends SettingsSpec | undefined> = S extends z.ZodObject
  ? z.output<S>
  : S extends z.ZodRawShape
    ? z.output<z.ZodObject<S, z.core.$strict>>
    : Record<string, never>;

export interface RegistryEntry<F, O extends RegisterOptions = RegisterOptions> {
  readonly name: string;
  readonly factory: F;
  /** Strict schema of the component's own config section; null when it has no settings. */
  readonly settings: z.ZodObject | null;
  readonly options: O;
}

export interface RegisterOptions {
  readonly summary?: string;
  /** Built-ins never replace an entry: a second copy of this package must not undo a user's. */
  readonly builtin?: boolean;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Strategies, models and data sets by name. The entries live on globalThis under a
 * process-wide symbol, so every copy of this package that a process loads (the CLI from dist/ or
 * from src/ under tsx, a plugin's ESM or CommonJS import of 'nullspace-cl') reads and writes the
 * same registry: a plugin's registration is always visible to the run that imported it.
 */
export class Registry<F, O extends RegisterOptions = RegisterOptions> {
  private readonly entries: Map<string, RegistryEntry<F, O>>;

  constructor(
    readonly kind: string,
    private readonly reserved: readonly string[] = [],
  ) {
    const key = Symbol.for(`nullspace-cl.registry.${kind}`);
    const store = globalThis as Record<symbol, Map<string, RegistryEntry<F, O>> | undefined>;
    store[key] ??= new Map();
    this.entries = store[key];
  }

  register(name: string, factory: F, settings?: SettingsSpec, options = {} as O): void {
    if (!NAME.test(name)) {
      throw new Error(
        `${this.kind} name '${name}' must be lower-case letters, digits and dashes, starting with a letter`,
      );
    }
    if (this.reserved.includes(name)) {
      throw new Error(`'${name}' is a config key of its own and cannot name a ${this.kind}`);
    }
    if (options.builtin && this.entries.has(name)) return;
    this.entries.set(name, {
      name,
      factory,
      settings: settings === undefined ? null : toStrictObject(settings),
      options,
    });
  }

  /** The entry, or an error that lists the registered names. */
  get(name: string): RegistryEntry<F, O> {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new Error(`unknown ${this.kind} '${name}': choose one of ${this.names().join(', ')}`);
    }
    return entry;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): RegistryEntry<F, O>[] {
    return [...this.entries.values()];
  }
}

/** Duck-typed rather than instanceof: a plugin may bring its own copy of zod 4. */
function toStrictObject(spec: SettingsSpec): z.ZodObject {
  const def = (spec as { _zod?: { def?: { type?: string } } })._zod?.def;
  return def?.type === 'object'
    ? (spec as z.ZodObject).strict()
    : z.strictObject(spec as z.ZodRawShape);
}
