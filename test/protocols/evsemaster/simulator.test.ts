// The simulator command: bad arguments fail up front, and a fleet that fails to start leaves nothing running.

import { expect, test } from "bun:test";
import dgram from "node:dgram";
import { silentLogger } from "../../../lib/log.ts";
import { DEFAULT_FLEET, nthSerial, simulate, startFleet } from "../../../protocols/evsemaster/sim/fleet.ts";
import { freeUdpPort, sleep } from "./rig.ts";

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
  let beacons = 0;
  listener.on("message", () => beacons++);
  try {
    const fleet = { ...DEFAULT_FLEET, serial: "fffffffffffffffe", count: 3, bind: "127.0.0.1", beaconMs: 50, target: { address: "127.0.0.1", port: listener.address().port } };
    await expect(startFleet(fleet, silentLogger)).rejects.toThrow("overflows 16 hex digits");
    await sleep(100);
    beacons = 0;
    await sleep(300);
    expect(beacons).toBe(0);
  } finally {
    listener.close();
  }
});
