import { PollTimeoutError } from './poll.js';

/** One parsed JSON log line (pino shape: numeric `level`, `msg`, plus any bound fields). */
export interface LogLine {
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

/** pino's numeric levels, for filtering captured lines. */
export const LogLevel = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** Which of a process's output streams a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Sees every complete line as it arrives, JSON or not (to print or react to output live). */
export type LineListener = (text: string, stream: OutputStream) => void;

type Waiter = { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void };

/**
 * Everything a process wrote: each stream split into lines, JSON lines parsed. Non-JSON lines are
 * kept in `raw` too, so secret scans cover every byte the process printed.
 */
export class LogCapture {
  /** Parsed JSON lines from stdout and stderr, in arrival order. */
  readonly lines: LogLine[] = [];
  /** Every line from both streams, JSON or not, prefixed by the stream name. */
  readonly raw: string[] = [];
  private readonly partial = { stdout: '', stderr: '' };
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly onLine?: LineListener) {}

  /** Feeds a chunk read from one of the process's streams. */
  push(stream: OutputStream, chunk: string): void {
    const text = this.partial[stream] + chunk;
    const pieces = text.split('\n');
    this.partial[stream] = pieces.pop() ?? '';
    for (const piece of pieces) this.addLine(stream, piece);
  }

  /** Flushes a trailing line that had no newline (called when the stream ends). */
  end(stream: OutputStream): void {
    if (this.partial[stream] !== '') this.addLine(stream, this.partial[stream]);
    this.partial[stream] = '';
  }

  /** Captured JSON lines that satisfy `predicate`. */
  filter(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate);
  }

  /** All captured output as one string (for secret scans and failure messages). */
  text(): string {
    return this.raw.join('\n');
  }

  /** The lines of one stream, without the stream prefix, joined by newlines. */
  textOf(stream: OutputStream): string {
    const prefix = `${stream}: `;
    return this.raw
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.slice(prefix.length))
      .join('\n');
  }

  /** Resolves with the first line (already captured or future) that satisfies `predicate`. */
  waitFor(predicate: (line: LogLine) => boolean, description: string, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new PollTimeoutError(`log line: ${description}`, timeoutMs, this.raw.slice(-20)));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private addLine(stream: OutputStream, text: string): void {
    this.raw.push(`${stream}: ${text}`);
    this.onLine?.(text, stream);
    const parsed = parseJsonLine(text);
    if (parsed === undefined) return;
    this.lines.push(parsed);
    for (const waiter of this.waiters) {
      if (waiter.predicate(parsed)) {
        this.waiters.delete(waiter);
        waiter.resolve(parsed);
      }
    }
  }
}

/** True when a log line's message contains `text` (pino `msg`). */
export function messageIncludes(text: string): (line: LogLine) => boolean {
  return (line) => typeof line.msg === 'string' && line.msg.includes(text);
}

function parseJsonLine(text: string): LogLine | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as LogLine)
      : undefined;
  } catch {
    return undefined;
  }
}
