import { closeSync, fsyncSync, writeSync } from 'node:fs';

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
