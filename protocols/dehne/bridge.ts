// Wires Dehne sessions to the hub (normalized layout) and to from_/to_dehneEVSE (compatible layout).
import { CommandError, errorMessage } from "../../lib/errors.ts";
import type { ChargerHandle } from "../../lib/hub.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { listenTcp, parseHostPort, type Connection } from "../../lib/tcp.ts";
import { formatZodError } from "../../lib/zod-format.ts";
import type { Handshake } from "./codec.ts";
import type { DehneConfig } from "./config.ts";
import { DehneControl } from "./control.ts";
import { DehneSession } from "./driver.ts";
import { compatCommandSchema, compatFromCharger, compatNewConnection, decodeBase64, isRequestAction, requestArgs, type CompatMessage } from "./messages.ts";
import { normalizeData } from "./normalize.ts";
import { firmwareCrcMatches, type ChargerMessage, type ServerRequest } from "./wire.ts";

interface Live {
  session: DehneSession;
  handle: ChargerHandle;
  clientId: string;
}

export class DehneBridge implements Running {
  private live = new Map<string, Live>();
  private controls = new Map<string, DehneControl>();
  private server: { close(): Promise<void>; port: number } | undefined;
  badFrames = 0;

  constructor(private ctx: BridgeContext, private cfg: DehneConfig) {}

  get port(): number {
    return this.server?.port ?? 0;
  }

  async start(): Promise<void> {
    const listen = parseHostPort(this.cfg.listen, 9091);
    this.server = await listenTcp(listen, (c) => this.accept(c));
    this.ctx.log.info("dehne listening", { listen: `${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${this.server.port}` });
    if (this.cfg.compatible) {
      this.ctx.mqtt.subscribe(this.cfg.topic_subscribe, (_t, payload) => void this.onCompatCommand(payload));
    }
  }

  async stop(): Promise<void> {
    for (const c of this.controls.values()) c.dispose();
    for (const l of this.live.values()) l.session.close("bridge shutting down");
    await this.server?.close();
  }

  private clientIdOf(serial: string): string {
    return this.cfg.names[serial] ?? serial;
  }

  private control(serial: string): DehneControl {
    let c = this.controls.get(serial);
    if (!c) {
      c = new DehneControl({
        minA: this.cfg.min_current_a,
        maxA: this.cfg.max_current_a,
        switchIntervalMs: this.cfg.contactor_min_interval_s * 1000,
        stopDelayMs: this.cfg.stop_delay_s * 1000,
      });
      this.controls.set(serial, c);
    }
    return c;
  }

  private publishCompat(m: CompatMessage): void {
    if (this.cfg.compatible) this.ctx.mqtt.publishJson(this.cfg.topic_publish, m);
  }

  private accept(conn: Connection): void {
    let log = this.ctx.log.child({ remote: conn.remote });
    let serial: string | undefined;
    const session: DehneSession = new DehneSession(
      conn,
      {
        handshakeTimeoutMs: this.cfg.handshake_timeout_s * 1000,
        replyTimeoutMs: this.cfg.reply_timeout_s * 1000,
        pollIntervalMs: this.cfg.poll_interval_s * 1000,
        maxQueue: 32,
      },
      log,
      {
        handshake: (h) => {
          serial = h.serial;
          log = log.child({ charger: this.clientIdOf(h.serial) });
          this.onHandshake(h, session, log);
        },
        message: (m) => serial && this.onMessage(serial, m, session),
        badFrame: (err) => {
          this.badFrames++;
          log.warn("bad frame from charger", { error: err.message, fatal: err.fatal });
        },
        closed: (reason) => {
          log.info("charger disconnected", { reason });
          const l = serial ? this.live.get(serial) : undefined;
          if (l && l.session === session) {
            this.live.delete(serial!);
            l.handle.detach();
            this.publishCompat({ message_type: "disconnected", client_id: l.clientId });
          }
        },
      },
    );
    void session.run();
  }

  private onHandshake(h: Handshake, session: DehneSession, log: BridgeContext["log"]): void {
    const clientId = this.clientIdOf(h.serial);
    const old = this.live.get(h.serial);
    if (old) {
      // A half-open old socket must not keep receiving commands (spec G12).
      log.info("charger reconnected; replacing the older session", { old_remote: old.session.remote });
      this.live.delete(h.serial);
      old.session.close("replaced by a new connection from the same serial");
    }
    log.info("charger connected", { serial: h.serial, firmware: h.firmware });
    const handle = this.ctx.hub.attach(h.serial, { protocol: "dehne", name: clientId, manufacturer: "Dehne", model: "Dehne-EVSE", sw_version: String(h.firmware) }, {
      set: (cmd) => this.control(h.serial).set(cmd, session),
      request: (action, args) => this.request(h.serial, session, action, args),
    });
    this.live.set(h.serial, { session, handle, clientId });
    this.publishCompat(compatNewConnection(clientId, h.firmware));
  }

  private onMessage(serial: string, m: ChargerMessage, session: DehneSession): void {
    const l = this.live.get(serial);
    if (!l || l.session !== session) return;
    l.handle.seen();
    this.publishCompat(compatFromCharger(l.clientId, m));
    if (m.type !== "data") return;
    const control = this.control(serial);
    control.last = structuredClone(m.data);
    l.handle.update(normalizeData(m.data, this.cfg.calibration[serial] ?? this.cfg.calibration[l.clientId]));
    control.reconcile(session).catch((err) => this.ctx.log.warn("contactor reconcile failed", { charger: l.clientId, error: errorMessage(err) }));
  }

  /** Normalized `/request` actions: the compatible commands under short names. */
  private async request(serial: string, session: DehneSession, action: string, args: Record<string, unknown>): Promise<unknown> {
    if (!isRequestAction(action)) throw new CommandError(`unknown action "${action}"; expected one of ${Object.keys(requestArgs).join(", ")}`);
    const parsed = requestArgs[action].safeParse(args);
    if (!parsed.success) throw new CommandError(`invalid args for ${action}: ${formatZodError(parsed.error)}`);
    const a = parsed.data as Record<string, unknown>;
    switch (action) {
      case "ping":
        return this.send(session, { type: "ping" });
      case "collect_data":
        return this.send(session, { type: "collect" });
      case "set_pwm_percent":
        return this.send(session, { type: "set_pwm", percent: a.pwm_percent as number });
      case "set_contactor_state":
        await this.control(serial).compatContactor(a.contactor_state as boolean, session);
        return { contactor_state: a.contactor_state };
      case "firmware":
        return this.sendFirmware(session, a.firmware_data_base64 as string, a.firmware_crc32 as number);
    }
  }

  private async send(session: DehneSession, req: ServerRequest): Promise<unknown> {
    const reply = await session.request(req);
    return reply?.type === "data" ? reply.data : { reply: reply?.type ?? null };
  }

  private async sendFirmware(session: DehneSession, b64: string, crc: number): Promise<unknown> {
    const image = decodeBase64(b64);
    if (!firmwareCrcMatches(image, crc)) throw new CommandError(`firmware_crc32 ${crc} does not match the image (${image.length} bytes); nothing sent`);
    await session.request({ type: "firmware", crc32: crc, image });
    // The charger never confirms (spec G13): success shows as a reconnect with a new firmware version.
    return { sent_bytes: image.length, note: "sent, not confirmed: the charger reboots and reconnects if the CRC matched" };
  }

  private async onCompatCommand(payload: Uint8Array): Promise<void> {
    const text = new TextDecoder().decode(payload);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.compatError(undefined, `payload is not valid JSON (${payload.length} bytes)`);
    }
    const clientId = typeof json === "object" && json !== null && typeof (json as { client_id?: unknown }).client_id === "string" ? (json as { client_id: string }).client_id : undefined;
    const type = typeof json === "object" && json !== null ? (json as { message_type?: unknown }).message_type : undefined;
    const parsed = compatCommandSchema.safeParse(json);
    if (!parsed.success) {
      const known = ["new_connection", "notify", "disconnected", "error"].includes(String(type)) || String(type).startsWith("response_");
      const why = known ? `message_type "${String(type)}" goes from charger to MQTT; it is not a command` : formatZodError(parsed.error);
      return this.compatError(clientId, why);
    }
    const cmd = parsed.data;
    const entry = [...this.live.entries()].find(([, l]) => l.clientId === cmd.client_id);
    if (!entry) return this.compatError(cmd.client_id, `no connected charger with client_id "${cmd.client_id}"`);
    const [serial, l] = entry;
    try {
      switch (cmd.message_type) {
        case "request_ping":
          await l.session.request({ type: "ping" });
          break;
        case "request_data_collection":
          await l.session.request({ type: "collect" });
          break;
        case "request_set_pwm_percent":
          await l.session.request({ type: "set_pwm", percent: cmd.pwm_percent });
          break;
        case "request_set_contactor_state":
          await this.control(serial).compatContactor(cmd.contactor_state, l.session);
          break;
        case "request_firmware":
          await this.sendFirmware(l.session, cmd.firmware.firmware_data_base64, cmd.firmware.firmware_crc32);
          break;
      }
    } catch (err) {
      this.compatError(cmd.client_id, errorMessage(err));
    }
  }

  private compatError(clientId: string | undefined, error: string): void {
    this.ctx.log.warn("dehne command refused", { charger: clientId, error });
    this.publishCompat({ message_type: "error", client_id: clientId ?? "", error });
  }
}
