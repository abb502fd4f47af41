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
  parts.push(etaPart(state.batch, state.batches, state.elapsedSeconds));
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

/** `unit`, if given, goes between the counts and the percentage. */
function batchCount(done: number, total: number, unit?: string): string {
  const pct = Math.floor(fraction(done, total) * 100);
  const counts = `${String(done).padStart(String(total).length)}/${total}`;
  return `${counts}${unit === undefined ? '' : ` ${unit}`} ${String(pct).padStart(3)}%`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k`;
  if (perSecond >= 100) return perSecond.toFixed(0);
  return perSecond.toFixed(1);
}

function etaPart(done: number, total: number, elapsedSeconds: number): string {
  if (done >= total) return `took ${formatDuration(elapsedSeconds)}`;
  if (done <= 0 || elapsedSeconds <= 0) return 'ETA --:--';
  return `ETA ${formatDuration((elapsedSeconds / done) * (total - done))}`;
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

/** Long work outside training (a covariance pass, a Fisher pass): `done` of `total` units. */
export interface WorkState {
  /** What runs, e.g. "task 2 boundary: covariance". */
  readonly label: string;
  readonly done: number;
  readonly total: number;
  /** Plural unit shown after the counts, e.g. "images". */
  readonly unit: string;
  readonly elapsedSeconds: number;
}

export function formatWork(state: WorkState, barWidth = BAR_WIDTH): string {
  const { label, done, total, unit, elapsedSeconds } = state;
  return `${label}  ${bar(done, total, barWidth)} ${batchCount(done, total, unit)}  ${etaPart(done, total, elapsedSeconds)}`;
}

/** One line being redrawn: what identifies it, how far along it is, and its text. */
interface Line {
  readonly key: string;
  readonly done: number;
  readonly total: number;
  readonly text: () => string;
}

/**
 * Renders progress lines, one at a time: training epochs (`update`, one line per epoch) and
 * other long work (`updateWork`). Call `end` when a line is finished.
 */
export class ConsoleProgress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly redrawIntervalMs: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDecile = -1;
  private drawnLength = 0;
  /** A skipped line not yet shown, printed by `end` so a line's final numbers always appear. */
  private pending: Line | null = null;
  private lineKey = '';

  constructor(options: ConsoleProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.redrawIntervalMs = options.redrawIntervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  update(state: ProgressState): void {
    this.show({
      key: `epoch:${state.task}:${state.epoch}`,
      done: state.batch,
      total: state.batches,
      text: () => formatProgress(state),
    });
  }

  updateWork(state: WorkState): void {
    this.show({
      key: `work:${state.label}`,
      done: state.done,
      total: state.total,
      text: () => formatWork(state),
    });
  }

  /** Finishes the current line; safe to call twice or without any update. */
  end(final?: ProgressState): void {
    if (final) this.update(final);
    if (this.tty && this.drawnLength > 0) {
      if (this.pending) this.draw(this.pending);
      this.stream.write('\n');
    } else if (!this.tty && this.pending) {
      this.stream.write(`${this.pending.text()}\n`);
    }
    this.drawnLength = 0;
    this.pending = null;
    this.lineKey = '';
  }

  /** A line of its own between progress lines (a finished layer's timing). */
  note(text: string): void {
    this.end();
    this.stream.write(`${text}\n`);
  }

  private show(line: Line): void {
    this.resetIfNewLine(line.key);
    const finished = line.done >= line.total;
    if (this.tty) this.redraw(line, finished);
    else this.maybePrintLine(line, finished);
  }

  private resetIfNewLine(key: string): void {
    if (key === this.lineKey) return;
    this.end();
    this.lineKey = key;
    this.lastDecile = -1;
    this.lastDraw = Number.NEGATIVE_INFINITY;
  }

  private redraw(line: Line, force: boolean): void {
    if (!force && this.now() - this.lastDraw < this.redrawIntervalMs) {
      this.pending = line;
      return;
    }
    this.draw(line);
  }

  private draw(line: Line): void {
    const text = line.text();
    // Pad over the previous line's tail instead of relying on ANSI erase, which dumb terminals lack.
    const pad = ' '.repeat(Math.max(0, this.drawnLength - text.length));
    this.stream.write(`\r${text}${pad}`);
    this.drawnLength = text.length;
    this.lastDraw = this.now();
    this.pending = null;
  }

  private maybePrintLine(line: Line, finished: boolean): void {
    const decile = finished ? 10 : Math.floor(fraction(line.done, line.total) * 10);
    if (decile <= this.lastDecile || (decile === 0 && !finished)) {
      this.pending = line;
      return;
    }
    this.lastDecile = decile;
    this.pending = null;
    this.stream.write(`${line.text()}\n`);
  }
}
