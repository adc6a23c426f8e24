// The simulator command: bad arguments fail up front, and a fleet that fails to start leaves nothing running.

import { expect, test } from "bun:test";
import dgram from "node:dgram";
import { silentLogger } from "../../../lib/log.ts";
import { DEFAULT_FLEET, nthSerial, simulate, startFleet } from "../../../protocols/evsemaster/sim/fleet.ts";
import { decodeEvsePacket } from "../../../protocols/evsemaster/codec.ts";
import { until } from "../../support/until.ts";
import { freeUdpPort } from "./rig.ts";

test("an invalid --time-zone or an overflowing serial is an argument error", async () => {
  const port = await freeUdpPort();
  const local = ["--bind", "127.0.0.1", "--target", `127.0.0.1:${port}`];
  await expect(simulate([...local, "--time-zone", "Mars/Olympus_Mons"], silentLogger)).rejects.toThrow('--time-zone expects an IANA time zone such as Europe/Amsterdam, got "Mars/Olympus_Mons"');
  await expect(simulate([...local, "--serial", "ffffffffffffffff", "--count", "2"], silentLogger)).rejects.toThrow("overflows 16 hex digits");
  expect(nthSerial("fffffffffffffffe", 1)).toBe("ffffffffffffffff");
});

test("startFleet stops the chargers it started when a later one fails", async () => {
  const listener = dgram.createSocket("udp4");
  await new Promise<void>((res) => listener.bind(0, "127.0.0.1", () => res()));
  const serials: string[] = [];
  listener.on("message", (buf) => {
    for (const d of decodeEvsePacket(new Uint8Array(buf))) if (d.ok) serials.push(d.frame.serial);
  });
  const target = { address: "127.0.0.1", port: listener.address().port };
  try {
    const fleet = { ...DEFAULT_FLEET, serial: "fffffffffffffffe", count: 3, bind: "127.0.0.1", beaconMs: 50, target };
    await expect(startFleet(fleet, silentLogger)).rejects.toThrow("overflows 16 hex digits");
    // Sentinel: a fleet of its own, started after the failure; after its first beacon, and while it
    // beacons three times more (150 ms, three of the failed fleet's intervals), nobody else may.
    const sentinel = await startFleet({ ...fleet, serial: "0000000000000001", count: 1 }, silentLogger);
    try {
      await until(() => serials.filter((s) => s === "0000000000000001").length >= 4, "the sentinel fleet beacons four times");
      const after = serials.slice(serials.indexOf("0000000000000001"));
      expect(after.filter((s) => s !== "0000000000000001")).toEqual([]);
    } finally {
      await sentinel.running.stop();
    }
  } finally {
    listener.close();
  }
});
