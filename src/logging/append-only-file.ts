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
 * A log file cut back to the length it had at a checkpoint and opened for appending, so a
 * resumed run's records follow the checkpoint's exactly. A file shorter than that was damaged.
 */
export function reopenTruncated(path: string, bytes: number): AppendOnlyFile {
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
  return new AppendOnlyFile(path, openSync(path, 'a'));
}
