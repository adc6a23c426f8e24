// A host talking to the simulated controller through the real codec, bytes both ways.

import { decode, encodeCommand, type Command, type EncodeOptions, type FrameOrBad } from "../../../protocols/openevse/codec.ts";
import { latin1Bytes } from "../../../protocols/openevse/frame.ts";
import { SimController, type SimOptions } from "../../../protocols/openevse/sim/controller.ts";

export class Rig {
  now = Date.UTC(2026, 0, 15, 12, 0, 0);
  readonly sim: SimController;

  constructor(opts: Omit<SimOptions, "clock"> = {}) {
    this.sim = new SimController({ ...opts, clock: () => this.now });
  }

  /** Sends `cmd` as bytes and decodes everything that comes back. */
  send(cmd: Command, opts: EncodeOptions = {}): FrameOrBad[] {
    return decode(this.sim.feed(encodeCommand(cmd, opts)));
  }

  /** Sends a raw line (anything, including broken frames) with its CR. */
  raw(line: string): FrameOrBad[] {
    return decode(this.sim.feed(latin1Bytes(`${line}\r`)), { requireChecksum: false });
  }

  /** The one reply to `cmd`, which must be there. */
  reply(cmd: Command, opts: EncodeOptions = {}): { ok: boolean; fields: string[]; text: string } {
    const r = this.send(cmd, opts).find((i) => i.kind === "reply");
    if (!r || r.kind !== "reply") throw new Error(`no reply to $${cmd.code}`);
    return { ok: r.ok, fields: r.fields, text: r.frame.text };
  }

  /** Lines sent after the reply (and before it, for `$F1`). */
  texts(items: FrameOrBad[]): string[] {
    return items.map((i) => (i.kind === "bad" ? `bad:${i.reason}` : i.frame.text));
  }

  advance(ms: number): string[] {
    this.now += ms;
    return this.sim.tick();
  }
}
