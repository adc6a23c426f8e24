// MQTT commands → chargers. `/set` and `/request` are parsed and validated here, then queued on the
// charger's own command stream, which runs them one at a time (a charger takes one command after
// the other anyway) and publishes exactly one reply per command on `/response`.
import { errorMessage } from "./errors.ts";
import type { Logger } from "./log.ts";
import { requestSchema, setCommandSchema, type SetCommand } from "./normalized.ts";
import type { ChargerDriver } from "./protocol.ts";
import { formatZodError } from "./zod-format.ts";

export type Command =
  | { kind: "set"; id: string; transaction: unknown; cmd: SetCommand }
  | { kind: "request"; id: string; transaction: unknown; action: string; args: Record<string, unknown> };

export type Reply = { data: unknown } | { error: string };

/** Commands running at once per charger; further ones wait, up to COMMAND_QUEUE. */
export const COMMANDS_RUNNING = 8;
/** Commands waiting per charger beyond those running; more are refused at once, never dropped silently. */
export const COMMAND_QUEUE = 64;

/**
 * One charger's command stream: a bounded queue in front of its driver. Commands start in order and
 * may overlap (a command waiting for its reply must not hold up a refusal the driver can give at
 * once), but no more than COMMANDS_RUNNING at a time.
 */
export class CommandQueue {
  private controller: ReadableStreamDefaultController<Command> | undefined;
  private readonly done: Promise<void>;
  private running = new Set<Promise<void>>();

  constructor(private driver: () => ChargerDriver | undefined, private reply: (c: Command, r: Reply) => void, private log: Logger) {
    const readable = new ReadableStream<Command>({ start: (c) => void (this.controller = c) }, { highWaterMark: COMMAND_QUEUE });
    this.done = readable.pipeTo(new WritableStream<Command>({
      write: async (c) => {
        const p = this.run(c).finally(() => this.running.delete(p));
        this.running.add(p);
        // Back-pressure: the next command is taken only once a slot is free.
        while (this.running.size >= COMMANDS_RUNNING) await Promise.race(this.running);
      },
      close: async () => {
        await Promise.all(this.running);
      },
    })).catch(() => {});
  }

  private async run(c: Command): Promise<void> {
    // The driver is looked up when the command's turn comes: the charger may have gone meanwhile.
    const d = this.driver();
    if (!d) return this.reply(c, { error: `charger "${c.id}" is offline` });
    try {
      const data = c.kind === "set" ? await d.set(c.cmd) : await d.request(c.action, c.args);
      this.reply(c, { data });
    } catch (err) {
      this.log.warn("command failed", { charger: c.id, error: errorMessage(err) });
      this.reply(c, { error: errorMessage(err) });
    }
  }

  /** False when the queue is full (the caller replies "busy"). */
  offer(c: Command): boolean {
    const ctl = this.controller;
    if (!ctl || (ctl.desiredSize ?? 0) <= 0) return false;
    ctl.enqueue(c);
    return true;
  }

  close(): Promise<void> {
    try {
      this.controller?.close();
    } catch {
      // already closed
    }
    return this.done;
  }
}

/** Parses and validates a command payload: the command, or the error to reply with. */
export function parseCommand(kind: "set" | "request", id: string, payload: Uint8Array): { command: Command } | { error: string; transaction: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    // Neither the payload nor the parser's message (V8 quotes the input) is echoed: it may hold a PIN.
    return { error: `payload is not valid JSON (${payload.length} bytes)`, transaction: undefined };
  }
  const transaction = transactionOf(value);
  if (kind === "set") {
    const cmd = setCommandSchema.safeParse(stripTransaction(value));
    if (!cmd.success) return { error: `invalid /set command: ${formatZodError(cmd.error)}`, transaction };
    return { command: { kind, id, transaction, cmd: cmd.data } };
  }
  const req = requestSchema.safeParse(value);
  if (!req.success) return { error: `invalid /request: ${formatZodError(req.error)}`, transaction };
  return { command: { kind, id, transaction, action: req.data.action, args: req.data.args ?? {} } };
}

export function replyBody(transaction: unknown, r: Reply): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (transaction !== undefined) body.transaction = transaction;
  if ("error" in r) {
    body.status = "error";
    body.error = r.error;
  } else {
    body.status = "ok";
    body.data = r.data ?? null;
  }
  return body;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function transactionOf(v: unknown): unknown {
  return isRecord(v) ? v.transaction : undefined;
}

function stripTransaction(v: unknown): unknown {
  if (!isRecord(v)) return v;
  const { transaction: _t, ...rest } = v;
  return rest;
}
