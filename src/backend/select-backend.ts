import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS build has no gradients; the umbrella package registers them (its
// registry is process-global, so the ops imported from tfjs-core see them).
import '@tensorflow/tfjs';
// Replaces tfjs' matMul gradient before any training starts (see the file).
import '../ops/matmul.js';
import { startWasmBackend, type WasmModule, wasmThreads } from './wasm-threads.js';

/**
 * The backends a run can use, in the order they are tried when none is named. The native
 * ones are optional dependencies (their install downloads libtensorflow and fails offline),
 * so each is imported only when tried.
 */
export const BACKEND_NAMES = ['gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

interface BackendSpec {
  readonly pkg: string;
  /** The name the package registers with tfjs. */
  readonly tfName: string;
  readonly install: string;
}

const SPECS: Record<BackendName, BackendSpec> = {
  gpu: {
    pkg: '@tensorflow/tfjs-node-gpu',
    tfName: 'tensorflow',
    install: 'npm install @tensorflow/tfjs-node-gpu (needs Linux x86_64, CUDA 11.2 and cuDNN 8.1)',
  },
  node: {
    pkg: '@tensorflow/tfjs-node',
    tfName: 'tensorflow',
    install: 'npm install @tensorflow/tfjs-node',
  },
  wasm: {
    pkg: '@tensorflow/tfjs-backend-wasm',
    tfName: 'wasm',
    install: 'npm install @tensorflow/tfjs-backend-wasm',
  },
  cpu: {
    pkg: '@tensorflow/tfjs-backend-cpu',
    tfName: 'cpu',
    install: 'npm install @tensorflow/tfjs-backend-cpu',
  },
};

/** The environment variable that names a backend when `--backend` is not given. */
export const BACKEND_ENV = 'NSCL_BACKEND';

/** Order tried when no backend is named (README, Performance, has the wasm/cpu measurement). */
export const AUTO_ORDER: readonly BackendName[] = ['gpu', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  readonly name: BackendName;
  readonly tfName: string;
  readonly version: string;
  readonly simd?: boolean;
  readonly threads?: number;
}

export interface BackendOptions {
  /** XNNPACK threads of the wasm backend (default: $NSCL_WASM_THREADS, else one per core). */
  readonly wasmThreads?: number;
}

/** A backend that was asked for but cannot be used; its message is one line for the user. */
export class BackendUnavailableError extends Error {}

export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendUnavailableError(
    `unknown backend '${value}': choose one of ${BACKEND_NAMES.join(', ')}`,
  );
}

async function importBackend(name: BackendName): Promise<Record<string, unknown>> {
  const spec = SPECS[name];
  try {
    return (await import(spec.pkg)) as Record<string, unknown>;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BackendUnavailableError(
      `backend '${name}' is not available (${detail}); install it with: ${spec.install}`,
    );
  }
}

/** Each package exports its version under a different name. */
function packageVersion(mod: Record<string, unknown>, pkg: string): string {
  const versions = mod.version as Record<string, string> | undefined;
  const found = versions?.[pkg.split('/')[1]] ?? mod.version_wasm ?? mod.version_cpu;
  return typeof found === 'string' ? found : tf.version_core;
}

function threadsOption(options: BackendOptions): number {
  try {
    return wasmThreads(options.wasmThreads);
  } catch (err) {
    throw new BackendUnavailableError((err as Error).message);
  }
}

async function activate(name: BackendName, options: BackendOptions): Promise<BackendInfo> {
  const mod = await importBackend(name);
  const spec = SPECS[name];
  const wasm = name === 'wasm' ? (mod as unknown as WasmModule) : null;
  const started = wasm
    ? await startWasmBackend(wasm, threadsOption(options))
    : await tf.setBackend(spec.tfName);
  if (!started) {
    throw new BackendUnavailableError(
      `backend '${name}' (${spec.pkg}) loaded but failed to initialise`,
    );
  }
  await tf.ready();
  const version = packageVersion(mod, spec.pkg);
  if (!wasm) return { name, tfName: spec.tfName, version };
  return {
    name,
    tfName: spec.tfName,
    version,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: wasm.getThreadsCount(),
  };
}

/**
 * Selects and initialises the tfjs backend: the one named (argument, else $NSCL_BACKEND), or the
 * first of AUTO_ORDER that loads. Asking for a missing backend throws BackendUnavailableError.
 * The wasm thread count applies when wasm first starts in the process (one module a process).
 */
export async function selectBackend(
  requested?: string,
  options: BackendOptions = {},
): Promise<BackendInfo> {
  const wanted = requested ?? process.env[BACKEND_ENV];
  if (wanted) return activate(parseBackendName(wanted), options);
  const failures: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      return await activate(name, options);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new BackendUnavailableError(`no tfjs backend could be loaded:\n  ${failures.join('\n  ')}`);
}

export function describeBackend(info: BackendInfo): string {
  const extra =
    info.name === 'wasm' ? `, SIMD ${info.simd ? 'on' : 'off'}, threads ${info.threads}` : '';
  return `backend: ${info.name} (tfjs '${info.tfName}' ${info.version}${extra})`;
}
