import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';

/**
 * A log file written only by whole appends, each one writeSync loop, so that an interrupted run
 * leaves at most a torn final record and never interleaves half records with a later run's.
 */
export class AppendOnlyFile {
  private fd: number | null;

  /** Takes ownership of `fd`, a descriptor opened for appending to `path`. */
  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  append(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`log file ${this.path} is closed`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  /** The file's length now: where the next record will start. */
  get size(): number {
    if (this.fd === null) throw new Error(`log file ${this.path} is closed`);
    return fstatSync(this.fd).size;
  }

  /** Records are already in the kernel after each append; this makes them survive a power loss. */
  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    fsyncSync(fd);
    closeSync(fd);
  }
}

/**
 * Opens `path` for appending, creating it if need be. With `truncateTo` the file is first cut
 * back to the length it had at a checkpoint, so a resumed run's records follow the checkpoint's
 * exactly; a file shorter than that was damaged.
 */
export function openAppendOnly(path: string, truncateTo?: number): AppendOnlyFile {
  if (truncateTo !== undefined) truncateForResume(path, truncateTo);
  return new AppendOnlyFile(path, openSync(path, 'a'));
}

function truncateForResume(path: string, bytes: number): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new Error(`${path} is missing: the run's logs were removed after its checkpoint`);
  }
  if (size < bytes) {
    throw new Error(`${path} has ${size} bytes, fewer than the ${bytes} it had at the checkpoint`);
  }
  truncateSync(path, bytes);
}
