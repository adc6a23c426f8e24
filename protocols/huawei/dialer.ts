// The bridge dials each configured PSU (the PSU listens, spec §1.1) and keeps dialing: one session
// per connection, with the back-off of §1.1 (10 ms doubling, here capped at 5.12 s and never reset
// by a connection that drops at once, so a PSU that accepts and closes sees a trickle, not a storm).
// Connector devices are online while the link is READY; the compatible telemetry follows the unit.
import { countedCodec } from "../../lib/metrics.ts";
import { type Dialer, keepDialing } from "../../lib/dialer.ts";
import { errorMessage } from "../../lib/errors.ts";
import { formatHostPort, framed, type Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import { readOptionalPem, readPem } from "../../lib/pem.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { openRawEthernet } from "../../lib/raw-ethernet.ts";
import type { TlsClientOptions } from "../../lib/sockets.ts";
import { dialTcp } from "../../lib/tcp.ts";
import { dispenserCodec } from "./codec.ts";
import { HuaweiTelemetry } from "./compat.ts";
import type { HuaweiConfig, UnitConfig } from "./config.ts";
import { HuaweiDevice } from "./device.ts";
import { ETHERTYPE_GOOSE } from "./goose/frame.ts";
import { GooseLink } from "./goose-link.ts";
import { HuaweiSession, type SessionEvent } from "./session.ts";
import { PsuUnit } from "./unit.ts";

/** Spec §1.1: 10 ms after the first failure, doubling up to 10·2⁹ ms. */
export const PSU_BACKOFF = { minMs: 10, maxMs: 5120, factor: 2, jitter: 0.2, stableMs: 10_000 } as const;

export interface PsuLink extends Running {
  readonly unit: PsuUnit;
  readonly devices: readonly HuaweiDevice[];
  /** Connection attempts so far. */
  readonly attempts: number;
  readonly badFrames: number;
  readonly session: HuaweiSession | undefined;
  readonly goose: GooseLink | undefined;
}

export interface HuaweiRunning extends Running {
  readonly links: readonly PsuLink[];
  link(name: string): PsuLink | undefined;
}

function tlsOptions(u: UnitConfig, index: number): TlsClientOptions | undefined {
  if (!u.tls) return undefined;
  const key = (k: string) => `huawei[${index}].${k}`;
  return {
    ca: u.ca === undefined ? undefined : readPem(u.ca, key("ca")),
    cert: readOptionalPem(u.cert, key("cert")),
    key: readOptionalPem(u.key, key("key")),
    rejectUnauthorized: true,
    // The PSU's leaf certificates carry no usable name (spec §1.3): the chain is checked, the name is not.
    checkServerName: false,
  };
}

async function openGoose(unit: PsuUnit, log: Logger): Promise<GooseLink | undefined> {
  const iface = unit.cfg.interface;
  if (!unit.cfg.goose || iface === undefined) return undefined;
  try {
    const raw = await openRawEthernet({ interface: iface, ethertype: ETHERTYPE_GOOSE });
    const goose = new GooseLink(unit, raw, log.child({ part: "goose" }));
    unit.goose = { state: "active", interface: iface };
    unit.gooseSender = goose;
    log.info("GOOSE active", { interface: iface });
    return goose;
  } catch (err) {
    unit.goose = { state: "unavailable", reason: errorMessage(err) };
    log.error("GOOSE unavailable: this link carries telemetry and alarms only (no power requests)", { interface: iface, error: errorMessage(err) });
    return undefined;
  }
}

async function startLink(ctx: BridgeContext, u: UnitConfig, index: number): Promise<PsuLink> {
  const target = formatHostPort(u.host, u.port);
  const log = ctx.log.child({ psu: u.name });
  const tls = tlsOptions(u, index);
  const unit = new PsuUnit(u, log);
  const devices = unit.connectors.map((c) => new HuaweiDevice(unit, c, ctx.hub));
  const telemetry = u.telemetry_prefix === "" ? undefined : new HuaweiTelemetry(ctx.mqtt, unit, u.telemetry_prefix);
  unit.onPublish(async () => {
    await Promise.all([...devices.map((d) => d.update()), telemetry?.publish()]);
  });
  const goose = await openGoose(unit, log);
  // The module publishes every sub-topic once at start-up, null where nothing is known yet.
  await unit.publish(true);
  let badFrames = 0;
  let current: HuaweiSession | undefined;

  const sink = (session: HuaweiSession) =>
    new WritableStream<SessionEvent>({
      write: async (ev) => {
        switch (ev.kind) {
          case "ready":
            for (const d of devices) d.attach();
            return unit.publish(true);
          case "changed":
            return unit.changed();
          case "bad":
            badFrames++;
            log.warn("bad frame from the PSU", { reason: ev.reason, position: ev.position, fatal: ev.fatal, remote: session.isClosed ? undefined : target });
        }
      },
    });

  const run = async (link: Link): Promise<void> => {
    const session = new HuaweiSession(
      framed(link, countedCodec(dispenserCodec, "huawei", (a) => !a.ok)),
      unit,
      { silenceTimeoutMs: u.silence_timeout_s * 1000, reportIntervalMs: 1000, keyFetchTimeoutMs: u.key_fetch_timeout_s * 1000 },
      log,
    );
    current = session;
    log.info("connected to the PSU", { remote: link.remote, tls: u.tls });
    try {
      await session.events.pipeTo(sink(session));
    } catch (err) {
      session.close(`session failed: ${errorMessage(err)}`);
    } finally {
      session.close("session ended");
      if (current === session) current = undefined;
      unit.connectionLost();
      for (const d of devices) d.detach();
      await unit.publish();
    }
  };

  const dialer: Dialer = keepDialing(() => dialTcp({ host: u.host, port: u.port, tls }), run, { backoff: PSU_BACKOFF, log, what: `PSU ${u.name} ${target}` });
  return {
    unit,
    devices,
    goose,
    get attempts() {
      return dialer.attempts;
    },
    get badFrames() {
      return badFrames;
    },
    get session() {
      return current;
    },
    stop: async () => {
      await dialer.stop();
      goose?.close();
      unit.dispose();
    },
  };
}

export async function startHuawei(ctx: BridgeContext, cfg: HuaweiConfig): Promise<HuaweiRunning> {
  if (cfg.units.length === 0) ctx.log.warn("huawei is enabled but no [[huawei]] table names a PSU; nothing to do");
  const links: PsuLink[] = [];
  try {
    for (const [i, u] of cfg.units.entries()) links.push(await startLink(ctx, u, i));
  } catch (err) {
    await Promise.all(links.map((l) => l.stop()));
    throw err;
  }
  return {
    links,
    link: (name) => links.find((l) => l.unit.cfg.name === name),
    stop: async () => {
      await Promise.all(links.map((l) => l.stop()));
    },
  };
}
