// `evse2mqtt simulate openevse` and `--demo`: a simulated controller on a TCP port or a pty, with
// a car that comes, charges and goes, so automations see the whole cycle.
import { parseArgs } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatHostPort, parseHostPort } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Running } from "../../../lib/protocol.ts";
import { listenTcp } from "../../../lib/tcp.ts";
import { SimHost } from "./host.ts";
import { ptyRelay } from "./pty.ts";

export interface SimCliOptions {
  listen?: string;
  pty: boolean;
  link?: string;
  firmware?: string;
  rapi?: string;
  maxA?: number;
  eu: boolean;
  car: boolean;
  nk: string[];
  silent: string[];
}

export function parseSimArgs(args: string[]): SimCliOptions {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string" },
      pty: { type: "boolean", default: false },
      link: { type: "string" },
      firmware: { type: "string" },
      rapi: { type: "string" },
      "max-current": { type: "string" },
      eu: { type: "boolean", default: false },
      "no-car": { type: "boolean", default: false },
      nk: { type: "string", multiple: true, default: [] },
      silent: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  if (values.pty && values.listen) throw new Error("--pty and --listen exclude each other");
  if (values.link && !values.pty) throw new Error("--link goes with --pty");
  if (values.rapi !== undefined && !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(values.rapi)) throw new Error(`--rapi must look like 5.2.1, got "${values.rapi}"`);
  const maxA = values["max-current"] === undefined ? undefined : Number(values["max-current"]);
  if (maxA !== undefined && (!Number.isInteger(maxA) || maxA < 6 || maxA > 80)) throw new Error(`--max-current must be whole amps 6–80, got "${values["max-current"]}"`);
  for (const code of [...values.nk, ...values.silent]) if (!/^[A-Z][A-Z0-9]$/.test(code)) throw new Error(`--nk/--silent take a two-character command such as GP, got "${code}"`);
  if (values.listen !== undefined) parseHostPort(values.listen);
  return {
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    pty: values.pty,
    ...(values.link !== undefined ? { link: values.link } : {}),
    ...(values.firmware !== undefined ? { firmware: values.firmware } : {}),
    ...(values.rapi !== undefined ? { rapi: values.rapi } : {}),
    ...(maxA !== undefined ? { maxA } : {}),
    eu: values.eu,
    car: !values["no-car"],
    nk: values.nk,
    silent: values.silent,
  };
}

/** A car that plugs in, asks for charge for a while, stops and leaves, again and again. */
function carCycle(host: SimHost, log: Logger): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const steps: [number, () => Promise<void>, string][] = [
    [3000, () => host.plugIn(), "car plugged in"],
    [2000, () => host.carRequestsCharge(true), "car asks for charge"],
    [60_000, () => host.carRequestsCharge(false), "car full"],
    [5000, () => host.unplug(), "car unplugged"],
  ];
  const run = (i: number) => {
    const step = steps[i % steps.length];
    if (!step) return;
    const [ms, act, what] = step;
    timer = setTimeout(() => {
      void act().then(() => {
        log.info(`simulated ${what}`);
        run(i + 1);
      });
    }, i % steps.length === 2 ? ms + Math.random() * 60_000 : ms);
  };
  run(0);
  return () => {
    if (timer) clearTimeout(timer);
  };
}

export async function startSimulator(o: SimCliOptions, log: Logger): Promise<Running & { readonly port: string }> {
  const host = new SimHost({
    ...(o.firmware !== undefined ? { firmware: o.firmware } : {}),
    ...(o.rapi !== undefined ? { rapi: o.rapi } : {}),
    ...(o.maxA !== undefined ? { maxA: o.maxA } : {}),
    eu: o.eu,
    log,
  });
  for (const code of o.nk) host.inject({ kind: "nk", code, times: Number.POSITIVE_INFINITY });
  for (const code of o.silent) host.inject({ kind: "silence", code, times: Number.POSITIVE_INFINITY });
  const listen = o.pty ? { host: "127.0.0.1", port: 0 } : parseHostPort(o.listen ?? "127.0.0.1:8023");
  const server = await listenTcp(listen, (link) => void host.attach(link));
  const relay = o.pty ? await ptyRelay(o.link ?? join(tmpdir(), `evse2mqtt-openevse-${process.pid}`), server.port, log) : undefined;
  const port = relay ? relay.path : `tcp://${formatHostPort(listen.host, server.port)}`;
  const stopCar = o.car ? carCycle(host, log) : () => {};
  // The one line a user needs: what to put in [[openevse]] port.
  process.stdout.write(`openevse simulator ready: port = "${port}"${relay ? ` (pty through ${relay.tool})` : ""}\n`);
  log.info("openevse simulator running", { port, car: o.car });
  return {
    port,
    stop: async () => {
      stopCar();
      host.stop();
      await relay?.stop();
      await server.close();
    },
  };
}
