import { ConfigError } from '../config/load-config.js';

/** Shard `index` (1-based) of `count`: every count-th run of the sorted list, from the index-th. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * `i/n`, or `auto`: the shard a scheduler gives this process through its environment — Slurm
 * job arrays (SLURM_ARRAY_TASK_ID, _MIN, _COUNT), Kubernetes indexed jobs
 * (JOB_COMPLETION_INDEX, with NSCL_SHARD_COUNT for the number of completions) or GNU parallel
 * (PARALLEL_SEQ, with NSCL_SHARD_COUNT).
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text === 'auto') return shardFromEnvironment(env);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`--shard expects i/n (1 ≤ i ≤ n) or auto, got '${text}'`);
  return checked(Number(m[1]), Number(m[2]), `--shard ${text}`);
}

function shardFromEnvironment(env: NodeJS.ProcessEnv): Shard {
  const int = (name: string) => {
    const v = env[name];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const slurm = int('SLURM_ARRAY_TASK_ID');
  const slurmCount = int('SLURM_ARRAY_TASK_COUNT');
  if (slurm !== undefined && slurmCount !== undefined) {
    return checked(slurm - (int('SLURM_ARRAY_TASK_MIN') ?? 0) + 1, slurmCount, 'Slurm array');
  }
  const count = int('NSCL_SHARD_COUNT');
  const k8s = int('JOB_COMPLETION_INDEX');
  if (k8s !== undefined && count !== undefined) return checked(k8s + 1, count, 'indexed job');
  const parallel = int('PARALLEL_SEQ');
  if (parallel !== undefined && count !== undefined) return checked(parallel, count, 'parallel');
  throw new ConfigError(
    '--shard auto found no scheduler: set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm), or JOB_COMPLETION_INDEX (Kubernetes) or PARALLEL_SEQ (GNU parallel) together with NSCL_SHARD_COUNT',
  );
}

function checked(index: number, count: number, what: string): Shard {
  if (!(count >= 1 && index >= 1 && index <= count)) {
    throw new ConfigError(`${what}: shard ${index} of ${count} does not exist`);
  }
  return { index, count };
}

/** This shard's share of a sorted list of runs. */
export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}
