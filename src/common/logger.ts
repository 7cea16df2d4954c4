import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Logger } from 'pino';
import type { Environment } from '../config/environment.js';

/**
 * Secrets that must never reach a log line. Request lines carry no headers or bodies at all; these
 * paths catch anyone who logs a request, response or body later. Explicit paths, not wildcards:
 * a wildcard makes every log call walk every key.
 */
const SECRET_FIELDS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'accessToken', 'token'];
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `body.${field}`),
  ...SECRET_FIELDS.map((field) => `req.body.${field}`),
];

/**
 * Lines gather until a block of at least this many bytes (~20 request lines), written in one write(2)
 * of at most PIPE_BUF (4096) bytes, so that a block is never interleaved with another writer's output
 * on a shared pipe (`npm start`, a container's stdout).
 */
const LOG_BLOCK_BYTES = 3584;
const PIPE_BUF = 4096;
/** ... and are written at least this often when fewer have gathered. */
const LOG_FLUSH_INTERVAL_MS = 500;

/**
 * Gathers lines into blocks (LOG_BLOCK_BYTES, never over PIPE_BUF unless one line is) and hands each
 * block to `out` in one write. sonic-boom's own `minLength` gathers too, but it appends every line to
 * one growing string and takes `Buffer.byteLength` of that whole string on each write, flattening and
 * rescanning the pending block (~2 KB on average, and as much garbage) for every line: the request
 * log hook went from 26.2k to 21.8k instructions (callgrind) when this replaced it. Here each line is
 * measured once and joined once.
 */
export class LogBlocks {
  private readonly lines: string[] = [];
  private bytes = 0;

  constructor(private readonly out: { write(block: string): unknown }) {}

  write(line: string): void {
    const size = Buffer.byteLength(line);
    if (this.bytes + size > PIPE_BUF) this.flush();
    this.lines.push(line);
    this.bytes += size;
    if (this.bytes >= LOG_BLOCK_BYTES) this.flush();
  }

  /** Writes what has gathered, at once. */
  flush(): void {
    if (this.lines.length === 0) return;
    const block = this.lines.join('');
    this.lines.length = 0;
    this.bytes = 0;
    this.out.write(block);
  }
}

let stdout: LogBlocks | undefined;

/**
 * Standard output, written synchronously in blocks (LogBlocks in front of pino's synchronous
 * destination): one write(2) per ~20 request lines on the event loop, instead of one per line handed
 * to libuv's threadpool (which cost a thread switch each, ~8 % of a cheap request's CPU, and took
 * those threads from bcrypt and token signing). What has gathered is written every
 * LOG_FLUSH_INTERVAL_MS, at once after Nest's own messages (PinoNestLogger), and when the process
 * exits (`process.exit`, an uncaught exception, a normal end).
 *
 * The trade-offs, as with pino's own default (synchronous) destination: a stdout that stops draining
 * blocks the event loop rather than growing memory; and a death that skips 'exit' (SIGKILL, V8 aborting
 * on out-of-memory) loses the lines of the last ~500 ms. One per module instance: a process, or a
 * Jest test file.
 */
function stdoutBlocks(): LogBlocks {
  if (!stdout) {
    const blocks = new LogBlocks(pino.destination({ dest: 1, sync: true }));
    setInterval(() => blocks.flush(), LOG_FLUSH_INTERVAL_MS).unref();
    process.once('exit', () => blocks.flush());
    stdout = blocks;
  }
  return stdout;
}

/** Where the service's log lines go: standard output in blocks, as readable lines when `pretty`. */
export function logDestination(pretty = false): LogBlocks | PrettyLines {
  return pretty ? new PrettyLines(stdoutBlocks(), true) : stdoutBlocks();
}

/**
 * Readable lines for a developer at a terminal; JSON (one object a line) for everything else:
 * production, tests, and anything piped or collected, which machines read.
 */
export function prettyLogs(env: Pick<Environment, 'NODE_ENV'>, stdoutIsTerminal = process.stdout.isTTY === true): boolean {
  return env.NODE_ENV === 'development' && stdoutIsTerminal;
}

const LEVELS: Record<number, [name: string, color: number]> = {
  10: ['TRACE', 90],
  20: ['DEBUG', 36],
  30: ['INFO', 32],
  40: ['WARN', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 35],
};

/**
 * pino's JSON line as one readable line: `12:03:04.567 INFO  [Context] message key=value …`. Text
 * that has line breaks (a logged mail, a stack trace) follows on lines of its own, indented, so a
 * mail's link stands alone on its line, ready to click or copy.
 */
export function prettyLine(json: string, colors = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, context, pid: _pid, hostname: _hostname, ...fields } = entry;
  const [name, color] = LEVELS[level as number] ?? [String(level), 0];
  const paint = (text: string, code: number) => (colors ? `\x1b[${code}m${text}\x1b[39m` : text);
  const clock =
    new Date(typeof time === 'number' ? time : Date.now()).toTimeString().slice(0, 8) + `.${String(Number(time) % 1000).padStart(3, '0')}`;
  const [first, ...more] = (typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')).split('\n');
  const inline: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && value.includes('\n')) more.push(`${key}:`, ...value.split('\n').map((line) => `  ${line}`));
    else inline.push(`${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  }
  const head = [
    paint(clock, 90),
    paint(name.padEnd(5), color),
    typeof context === 'string' ? paint(`[${context}]`, 33) : '',
    first,
    ...inline,
  ]
    .filter(Boolean)
    .join(' ');
  return [head, ...more.map((line) => `    ${line}`)].join('\n') + '\n';
}

/** A log destination that writes each of pino's lines as prettyLine has it. */
export class PrettyLines {
  constructor(
    private readonly out: { write(text: string): unknown; flush?: () => void },
    private readonly colors: boolean,
  ) {}

  write(line: string): void {
    this.out.write(prettyLine(line, this.colors));
  }

  flush(): void {
    this.out.flush?.();
  }
}

export function createLogger(env: Pick<Environment, 'LOG_LEVEL'>, destination: DestinationStream = logDestination()): Logger {
  return pino({ level: env.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

/** Nest's own messages (start-up, errors) through the same structured logger as the requests. */
export class PinoNestLogger implements LoggerService {
  /** `destination` is the logger's: what it has gathered is written after each of these messages, which are rare and wanted at once. */
  constructor(
    private readonly logger: Logger,
    private readonly destination: { flush?: () => void },
  ) {}

  log(message: unknown, context?: string) {
    this.write('info', { context }, message);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', { context, trace }, message);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', { context }, message);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', { context }, message);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', { context }, message);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', { context }, message);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', fields: object, message: unknown): void {
    if (!this.logger.isLevelEnabled(level)) return;
    this.logger[level](fields, String(message));
    this.destination.flush?.();
  }
}
