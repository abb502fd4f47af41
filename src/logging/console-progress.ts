/** Training-epoch progress on stderr: redrawn in place on a terminal, sparse plain lines in CI logs. */

export interface ProgressState {
  /** 0-based task index; shown 1-based. */
  readonly task: number;
  readonly tasks?: number;
  /** 0-based epoch index; shown 1-based. */
  readonly epoch: number;
  readonly epochs?: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss?: number | null;
  /** Training accuracy in %. */
  readonly accuracy?: number | null;
  readonly imagesPerSecond?: number | null;
  readonly elapsedSeconds: number;
}

const BAR_WIDTH = 20;

export function formatProgress(state: ProgressState, barWidth = BAR_WIDTH): string {
  const parts = [
    `task ${ofTotal(state.task + 1, state.tasks)}`,
    `epoch ${ofTotal(state.epoch + 1, state.epochs)}`,
    `${bar(state.batch, state.batches, barWidth)} ${batchCount(state.batch, state.batches)}`,
  ];
  if (isNum(state.loss)) parts.push(`loss ${state.loss.toFixed(4)}`);
  if (isNum(state.accuracy)) parts.push(`acc ${state.accuracy.toFixed(1)}%`);
  if (isNum(state.imagesPerSecond)) parts.push(`${formatRate(state.imagesPerSecond)} img/s`);
  parts.push(etaPart(state));
  return parts.join('  ');
}

function ofTotal(n: number, total: number | undefined): string {
  return total === undefined ? String(n) : `${n}/${total}`;
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function fraction(done: number, total: number): number {
  return total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
}

export function bar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = Math.round(fraction(done, total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function batchCount(done: number, total: number): string {
  const pct = Math.floor(fraction(done, total) * 100);
  return `${String(done).padStart(String(total).length)}/${total} ${String(pct).padStart(3)}%`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k`;
  if (perSecond >= 100) return perSecond.toFixed(0);
  return perSecond.toFixed(1);
}

function etaPart(state: ProgressState): string {
  if (state.batch >= state.batches) return `took ${formatDuration(state.elapsedSeconds)}`;
  if (state.batch <= 0 || state.elapsedSeconds <= 0) return 'ETA --:--';
  const remaining = (state.elapsedSeconds / state.batch) * (state.batches - state.batch);
  return `ETA ${formatDuration(remaining)}`;
}

/** m:ss below an hour, h:mm:ss above. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ConsoleProgressOptions {
  readonly stream?: ProgressStream;
  /** Override TTY detection (e.g. force plain lines). */
  readonly tty?: boolean;
  /** Minimum ms between in-place redraws; terminals choke on per-batch repaints of fast epochs. */
  readonly redrawIntervalMs?: number;
  readonly now?: () => number;
}

/** Renders `ProgressState`s for one epoch at a time; call `update` per batch, `end` after the epoch. */
export class ConsoleProgress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly redrawIntervalMs: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDecile = -1;
  private drawnLength = 0;
  /** A skipped state not yet shown, printed by `end` so an epoch's final numbers always appear. */
  private pending: ProgressState | null = null;
  private epochKey = '';

  constructor(options: ConsoleProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.redrawIntervalMs = options.redrawIntervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  update(state: ProgressState): void {
    this.resetIfNewEpoch(state);
    const finished = state.batch >= state.batches;
    if (this.tty) this.redraw(state, finished);
    else this.maybePrintLine(state, finished);
  }

  /** Finishes the epoch's line; safe to call twice or without any update. */
  end(final?: ProgressState): void {
    if (final) this.update(final);
    if (this.tty && this.drawnLength > 0) {
      if (this.pending) this.draw(this.pending);
      this.stream.write('\n');
    } else if (!this.tty && this.pending) {
      this.stream.write(`${formatProgress(this.pending)}\n`);
    }
    this.drawnLength = 0;
    this.pending = null;
    this.epochKey = '';
  }

  private resetIfNewEpoch(state: ProgressState): void {
    const key = `${state.task}:${state.epoch}`;
    if (key === this.epochKey) return;
    this.end();
    this.epochKey = key;
    this.lastDecile = -1;
    this.lastDraw = Number.NEGATIVE_INFINITY;
  }

  private redraw(state: ProgressState, force: boolean): void {
    if (!force && this.now() - this.lastDraw < this.redrawIntervalMs) {
      this.pending = state;
      return;
    }
    this.draw(state);
  }

  private draw(state: ProgressState): void {
    const line = formatProgress(state);
    // Pad over the previous line's tail instead of relying on ANSI erase, which dumb terminals lack.
    const pad = ' '.repeat(Math.max(0, this.drawnLength - line.length));
    this.stream.write(`\r${line}${pad}`);
    this.drawnLength = line.length;
    this.lastDraw = this.now();
    this.pending = null;
  }

  private maybePrintLine(state: ProgressState, finished: boolean): void {
    const decile = finished ? 10 : Math.floor(fraction(state.batch, state.batches) * 10);
    if (decile <= this.lastDecile || (decile === 0 && !finished)) {
      this.pending = state;
      return;
    }
    this.lastDecile = decile;
    this.pending = null;
    this.stream.write(`${formatProgress(state)}\n`);
  }
}
