/**
 * `npm run datasets -- cifar100|tinyimagenet --dir D [--url URL] [--sha256 HEX|--md5 HEX]
 * [--max-megabytes N] [--keep-archive]`: download (resuming an interrupted download), verify,
 * extract into D.
 *
 * Every step is restartable: a verified archive or a marked extraction from an earlier run is
 * reused, so re-running after a failure only redoes what did not finish.
 */
import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Checksum,
  DATASET_NAMES,
  DATASET_SOURCES,
  type DatasetName,
  type DatasetSource,
  isDatasetName,
  parseChecksum,
} from '../data/dataset-sources.js';
import {
  DownloadTooLargeError,
  downloadFile,
  MB,
  type ProgressCallback,
  stderrProgress,
  verifyFile,
} from '../data/download.js';
import { extractArchive, isExtracted } from '../data/extract-archive.js';

const DEFAULT_LIMITS = DATASET_NAMES.map((n) => `${n} ${DATASET_SOURCES[n].maxMegabytes}`);

const USAGE = `usage: nullspace-cl datasets <${DATASET_NAMES.join('|')}> --dir DIR [options]

Downloads, verifies and extracts a benchmark data set into DIR.

options:
  --dir DIR        directory to put the archive and the extracted data in (required)
  --url URL        download from this mirror instead of the official URL; the official
                   checksum still applies unless --sha256/--md5 is given
  --sha256 HEX     expected SHA-256 of the archive (overrides the built-in checksum)
  --md5 HEX        expected MD5 of the archive (overrides the built-in checksum)
  --max-megabytes N
                   refuse a download larger than N MB (default: about 1.5 times the
                   expected size; ${DEFAULT_LIMITS.join(', ')})
  --keep-archive   keep the downloaded archive after extraction
  -h, --help       show this help`;

export interface CliIo {
  /** Result lines (where the data is). */
  readonly out: (line: string) => void;
  /** Status, warnings and errors. */
  readonly err: (line: string) => void;
  /** Download progress; a stderr line by default. */
  readonly progress?: ProgressCallback;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

interface CliArgs {
  readonly dataset: DatasetName;
  readonly dir: string;
  readonly url?: string;
  readonly checksum?: Checksum;
  /** Overrides the source's own limit. */
  readonly maxMegabytes?: number;
  readonly keepArchive: boolean;
}

class UsageError extends Error {}

/** Runs the command; resolves to the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parseCli(argv);
  } catch (err) {
    io.err(`datasets: ${messageOf(err)}`);
    io.err(`run with --help for usage`);
    return 2;
  }
  if (args === 'help') {
    io.out(USAGE);
    return 0;
  }
  try {
    await fetchDataset(args, io);
    return 0;
  } catch (err) {
    io.err(`datasets: ${messageOf(err)}`);
    return 1;
  }
}

function parseCli(argv: string[]): CliArgs | 'help' {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    // parseArgs throws TypeErrors with codes such as ERR_PARSE_ARGS_UNKNOWN_OPTION.
    throw new UsageError(messageOf(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(`expected exactly one data set (${DATASET_NAMES.join(' or ')})`);
  }
  const dataset = positionals[0];
  if (!isDatasetName(dataset)) {
    throw new UsageError(`unknown data set '${dataset}': choose ${DATASET_NAMES.join(' or ')}`);
  }
  if (!values.dir) throw new UsageError('--dir DIR is required');
  if (values.sha256 !== undefined && values.md5 !== undefined) {
    throw new UsageError('give at most one of --sha256 and --md5');
  }
  if (values.url !== undefined && !/^https?:\/\//i.test(values.url)) {
    throw new UsageError(`--url must be an http:// or https:// URL, got '${values.url}'`);
  }
  return {
    dataset,
    dir: values.dir,
    url: values.url,
    checksum: checksumOverride(values.sha256, values.md5),
    maxMegabytes: parseMegabytes(values['max-megabytes']),
    keepArchive: values['keep-archive'] === true,
  };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string' },
      url: { type: 'string' },
      sha256: { type: 'string' },
      md5: { type: 'string' },
      'max-megabytes': { type: 'string' },
      'keep-archive': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function checksumOverride(sha256?: string, md5?: string): Checksum | undefined {
  try {
    if (sha256 !== undefined) return parseChecksum('sha256', sha256);
    if (md5 !== undefined) return parseChecksum('md5', md5);
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
  return undefined;
}

function parseMegabytes(value?: string): number | undefined {
  if (value === undefined) return undefined;
  const megabytes = Number(value);
  if (!(Number.isFinite(megabytes) && megabytes > 0)) {
    throw new UsageError(`--max-megabytes must be a positive number, got '${value}'`);
  }
  return megabytes;
}

async function fetchDataset(args: CliArgs, io: CliIo): Promise<void> {
  const source = DATASET_SOURCES[args.dataset];
  const dir = resolve(args.dir);
  const target = join(dir, source.extractedDir);
  if (await isExtracted(target)) {
    io.err(`${source.title} is already extracted; nothing to do`);
    printReady(source, target, io);
    return;
  }
  const archive = join(dir, source.archiveName);
  await obtainArchive(source, archive, args, io);
  io.err(`extracting ${archive} ...`);
  await extractArchive(archive, target, {
    format: source.format,
    archiveRoot: source.extractedDir,
  });
  if (!args.keepArchive) await rm(archive, { force: true });
  printReady(source, target, io);
}

/** Reuses an archive a previous run left (it is only ever renamed into place verified). */
async function obtainArchive(
  source: DatasetSource,
  archive: string,
  args: CliArgs,
  io: CliIo,
): Promise<void> {
  const url = args.url ?? source.url;
  const expected = args.checksum ?? source.checksum;
  if (!expected) {
    io.err(`warning: no published checksum for ${source.title}; pass --sha256 HEX to verify`);
  }
  if (await isFile(archive)) {
    io.err(`using existing ${archive}`);
    if (expected) await verifyExisting(archive, expected);
    return;
  }
  const size = url === source.url ? ` (~${source.approxMegabytes} MB)` : '';
  io.err(`downloading ${source.title}${size} from ${url}`);
  const maxMegabytes = args.maxMegabytes ?? source.maxMegabytes;
  try {
    await downloadFile(url, archive, {
      expected,
      onProgress: io.progress ?? stderrProgress(source.archiveName),
      maxBytes: Math.floor(maxMegabytes * MB),
    });
  } catch (err) {
    if (!(err instanceof DownloadTooLargeError)) throw err;
    throw new Error(
      `${err.message}; the limit is ${maxMegabytes} MB, pass --max-megabytes N to change it`,
      { cause: err },
    );
  }
}

async function verifyExisting(archive: string, expected: Checksum): Promise<void> {
  try {
    await verifyFile(archive, expected);
  } catch (err) {
    // Not ours to delete: the user may have put it there by hand.
    throw new Error(`${messageOf(err)}; delete it and run again to re-download`);
  }
}

function printReady(source: DatasetSource, target: string, io: CliIo): void {
  io.out(`${source.title} is ready in ${target}`);
  io.out(`use it in experiments with: --set data.dir=${target}`);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
