import { writeSync } from "node:fs";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` (typically `{ charger }`) to every line. */
  child(fields: Fields): Logger;
}

export interface LogOptions {
  level: LogLevel;
  json: boolean;
  write?: (line: string) => void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function plain(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

const utf8 = new TextEncoder();

/**
 * Lines to descriptor `fd`, written straight to it: process.stderr is a Node stream whose creation
 * costs the start-up ~3 ms and ~2 MiB (node:stream). A descriptor that would block (a full
 * non-blocking pipe) or fails hands that line's rest and every later line to `stream()`, so nothing
 * is lost and the order holds.
 */
export function lineWriter(fd: number, stream: () => { write(bytes: Uint8Array): unknown }): (line: string) => void {
  let viaStream = false;
  return (line) => {
    const bytes = utf8.encode(line + "\n");
    let written = 0;
    if (!viaStream) {
      try {
        written = writeSync(fd, bytes);
      } catch {
        written = 0;
      }
      if (written >= bytes.length) return;
      viaStream = true;
    }
    stream().write(bytes.subarray(written));
  };
}

const writeStderr = lineWriter(2, () => process.stderr);

/**
 * A class, not an object of closures: every connection holds a logger or two (with its charger or
 * remote bound), and methods on the prototype cost a connection nothing. A child keeps its own
 * fields and its parent, merged only when a line is written (that is rare; connections are many).
 */
class FieldLogger implements Logger {
  constructor(private readonly opts: LogOptions, private readonly write: (line: string) => void, private readonly bound: Fields, private readonly parent?: FieldLogger) {}

  debug(msg: string, fields?: Fields): void {
    this.emit("debug", msg, fields);
  }

  info(msg: string, fields?: Fields): void {
    this.emit("info", msg, fields);
  }

  warn(msg: string, fields?: Fields): void {
    this.emit("warn", msg, fields);
  }

  error(msg: string, fields?: Fields): void {
    this.emit("error", msg, fields);
  }

  child(fields: Fields): Logger {
    return new FieldLogger(this.opts, this.write, fields, this);
  }

  private fields(): Fields {
    return this.parent ? { ...this.parent.fields(), ...this.bound } : this.bound;
  }

  private emit(level: LogLevel, msg: string, fields?: Fields): void {
    if (rank[level] < rank[this.opts.level]) return;
    const all = { ...this.fields(), ...fields };
    const time = new Date().toISOString();
    if (this.opts.json) {
      this.write(JSON.stringify({ time, level, msg, ...all }));
    } else {
      const extra = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${plain(v)}`)
        .join(" ");
      this.write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? " " + extra : ""}`);
    }
  }
}

export function createLogger(opts: LogOptions, bound: Fields = {}): Logger {
  // stderr keeps stdout free for command output such as check-config.
  return new FieldLogger(opts, opts.write ?? writeStderr, bound);
}

export const silentLogger: Logger = createLogger({ level: "silent", json: false });
