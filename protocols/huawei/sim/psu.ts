// A simulated FusionCharge power unit, written from spec §11: it listens (plain or TLS), serves
// any number of dispenser connections as Modbus master, and with an interface answers GOOSE.
// Differences from the C++ mock: with a dispenser CA in the TLS folder it really requires a client
// certificate (mTLS); it binds where it is told; cycle length and capabilities are options.
import { transformReadable, transformWritable } from "../../../lib/transform.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../../../lib/errors.ts";
import type { HostPort, Link } from "../../../lib/link.ts";
import { type Logger, silentLogger } from "../../../lib/log.ts";
import { listenTcp, type Listener, type TcpListenOptions } from "../../../lib/tcp.ts";
import { type Adu, type AduOrBad, psuCodec } from "../codec.ts";
import { PsuConnection, type PsuBehaviour } from "./connection.ts";
import { GooseResponder } from "./goose.ts";

/** The mock's constant key (spec §7) and MAC (spec §12.1 M3). */
export const MOCK_KEY = Uint8Array.from("67e426560a70ca4a833c44b31270ca9355d87b020f578e1e9d1974c02fa6f6804c2fcbdf735e711cec085b93814716ad".match(/../g) ?? [], (h) => parseInt(h, 16));
export const MOCK_MAC = Uint8Array.of(0xc2, 0x62, 0xf9, 0x76, 0x50, 0x7c);

export interface SimPsuOptions {
  listen: HostPort;
  /** PEM text; with `ca` the dispenser must present a certificate signed by it. */
  tls?: TcpListenOptions["tls"];
  /** Seconds between the PSU's write/read cycles (the mock: 5 s). */
  cycleMs?: number;
  firstReadMs?: number;
  replyTimeoutMs?: number;
  capabilities?: PsuBehaviour["capabilities"];
  /** Interface for GOOSE; without it no GOOSE is sent or answered. */
  gooseInterface?: string;
  log?: Logger;
}

/** Reads the mock's TLS folder (spec §1.3): psu.crt.pem, psu.key.pem and, optionally, dispenser_ca.crt.pem. */
export function readTlsFolder(dir: string): NonNullable<SimPsuOptions["tls"]> {
  const read = (name: string, required: boolean): string | undefined => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch {
      if (required) throw new Error(`--tls ${dir}: ${name} is missing`);
      return undefined;
    }
  };
  const cert = read("psu.crt.pem", true) ?? "";
  const key = read("psu.key.pem", true) ?? "";
  return { cert, key, ca: read("dispenser_ca.crt.pem", false) };
}

/**
 * The link seen through the PSU's codec, plus a way to put raw bytes on the same socket in order
 * with the encoded requests (tests send garbage with it).
 */
function withRawWrites(link: Link): { typed: Link<AduOrBad, Adu>; raw: (bytes: Uint8Array) => Promise<void> } {
  const writer = link.writable.getWriter();
  writer.closed.catch(() => {});
  const writable = transformWritable(new WritableStream<Uint8Array>({ write: (b) => writer.write(b) }), psuCodec.encoder(), (err) => link.close(`write failed: ${errorMessage(err)}`));
  return {
    typed: { readable: transformReadable(link.readable, psuCodec.decoder()), writable, remote: link.remote, closed: link.closed, close: (r) => link.close(r) },
    raw: (bytes) => writer.write(bytes),
  };
}

export class SimulatedPsu {
  accepted = 0;
  readonly connections: PsuConnection[] = [];
  private server: Listener | undefined;
  private goose: GooseResponder | undefined;

  constructor(private readonly opts: SimPsuOptions) {}

  get port(): number {
    return this.server?.port ?? this.opts.listen.port;
  }

  get gooseResponder(): GooseResponder | undefined {
    return this.goose;
  }

  /** The newest dispenser connection still open. */
  get latest(): PsuConnection | undefined {
    return this.connections.filter((c) => !c.isClosed).at(-1);
  }

  get live(): PsuConnection[] {
    return this.connections.filter((c) => !c.isClosed);
  }

  async start(): Promise<void> {
    const log = this.opts.log ?? silentLogger;
    if (this.opts.gooseInterface && !this.goose) this.goose = await GooseResponder.open(this.opts.gooseInterface, MOCK_KEY, log);
    const goose = this.goose;
    const behaviour: PsuBehaviour = {
      cycleMs: this.opts.cycleMs ?? 5000,
      firstReadMs: this.opts.firstReadMs ?? 100,
      replyTimeoutMs: this.opts.replyTimeoutMs ?? 5000,
      mac: goose?.mac ?? MOCK_MAC,
      key: MOCK_KEY,
      capabilities: this.opts.capabilities ?? { maxVoltage: 1000, minVoltage: 100, maxCurrent: 100, minCurrent: 1, ratedPowerKw: 60 },
      powerOn: (global) => goose?.powerOn(global) ?? 0,
    };
    this.server = await listenTcp({ ...this.opts.listen, tls: this.opts.tls }, (link: Link) => {
      this.accepted++;
      const { typed, raw } = withRawWrites(link);
      const c = new PsuConnection(typed, behaviour, log.child({ dispenser: link.remote }), raw);
      this.connections.push(c);
      if (this.connections.length > 100) this.connections.splice(0, this.connections.length - 100);
      void c.serve();
    });
    log.info("simulated Huawei PSU listening", { port: this.server.port, tls: this.opts.tls !== undefined, goose: this.opts.gooseInterface ?? "off" });
  }

  /** The PSU goes away (a restart): every connection and the listener close. `start()` brings it back. */
  async stop(): Promise<void> {
    for (const c of this.connections) c.close("simulated PSU stopped");
    await this.server?.close();
    this.server = undefined;
  }

  /** Stops for good, GOOSE included. */
  async dispose(): Promise<void> {
    await this.stop();
    this.goose?.close();
    this.goose = undefined;
  }
}
