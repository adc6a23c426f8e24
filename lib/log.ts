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

export function createLogger(opts: LogOptions, bound: Fields = {}): Logger {
  // stderr keeps stdout free for command output such as check-config.
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const emit = (level: LogLevel, msg: string, fields?: Fields) => {
    if (rank[level] < rank[opts.level]) return;
    const all = { ...bound, ...fields };
    const time = new Date().toISOString();
    if (opts.json) {
      write(JSON.stringify({ time, level, msg, ...all }));
    } else {
      const extra = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${plain(v)}`)
        .join(" ");
      write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? " " + extra : ""}`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}

export const silentLogger: Logger = createLogger({ level: "silent", json: false });
