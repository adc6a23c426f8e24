// `[[openevse]]` through the real config loader: defaults, base topics, and errors that name the
// entry and the key; plus the port syntax and the passthrough guard as pure functions.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../lib/errors.ts";
import { ChargeGuard } from "../../../lib/guard.ts";
import { loadConfig } from "../../../lib/config.ts";
import { resolvedBaseTopics } from "../../../protocols/openevse/config.ts";
import { parseRapiText, vetRapi } from "../../../protocols/openevse/passthrough.ts";
import { parsePort } from "../../../protocols/openevse/port.ts";
import { PLUGINS } from "../../../protocols/index.ts";
import { writeConfigFile } from "../../support/config-file.ts";

function load(toml: string, flags: string[] = []) {
  return loadConfig(PLUGINS, { file: writeConfigFile("oe-config-", toml), fileRequired: true, env: {}, flags });
}

function issues(toml: string): string[] {
  try {
    load(toml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.expected}`);
    throw err;
  }
  throw new Error("expected a configuration error");
}

describe("[[openevse]]", () => {
  test("two controllers: defaults, and the first gets the gateway's legacy base topic", () => {
    const c = load('[[openevse]]\nname = "garage"\nport = "/dev/ttyUSB0"\n[[openevse]]\nname = "barn"\nport = "tcp://192.168.1.20:2000"\nbase_topic = "barn-evse"\n');
    const s = c.protocols.openevse;
    expect(s?.enabled).toBe(true);
    const controllers = s?.controllers;
    expect(Array.isArray(controllers) && controllers.length).toBe(2);
    expect(resolvedBaseTopics([{ name: "garage" }, { name: "barn" }, { name: "x", base_topic: "y" }])).toEqual(["openevse", "openevse-barn", "y"]);
    expect(load('[[openevse]]\nname = "a"\nport = "COM3"\n').protocols.openevse?.controllers).toMatchObject([{ max_current_a: 32, min_current_a: 6, heartbeat_interval_s: 5, heartbeat_current_a: 6, full_rapi: false, compatible: true, legacy_topics: false }]);
  });

  test("errors name the entry and the key", () => {
    expect(issues('[[openevse]]\nname = "a"\nport = "ttyUSB0"\n')).toEqual([expect.stringContaining("openevse[0].port: expected a serial device path")]);
    expect(issues('[[openevse]]\nname = "a b"\nport = "/dev/ttyUSB0"\nmax_current_a = 100\n').sort()).toEqual([
      expect.stringContaining("openevse[0].max_current_a: OpenEVSE pilots end at 80 A"),
      expect.stringContaining("openevse[0].name: 1–48 letters"),
    ]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\nmin_current_a = 20\nmax_current_a = 16\n')).toEqual([expect.stringContaining("openevse[0].min_current_a: min_current_a must not exceed max_current_a")]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\ngrid_ie_topic = "emon\\\\emonpi\\\\power1"\n')).toEqual([expect.stringContaining('did you mean "emon/emonpi/power1"')]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\nshaper_max_power_w = 5000\n')).toEqual([expect.stringContaining("needs live_pwr_topic")]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\nheartbeat_intervall_s = 5\n')).toEqual([expect.stringContaining("openevse[0]: no such key")]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\n[[openevse]]\nname = "a"\nport = "/dev/ttyUSB1"\n')).toEqual([expect.stringContaining("names must be unique")]);
    expect(issues('[[openevse]]\nname = "a"\nport = "/dev/ttyUSB0"\n[[openevse]]\nname = "b"\nport = "/dev/ttyUSB0"\n')).toEqual([expect.stringContaining("share a port")]);
    expect(issues("[openevse]\nenabled = true\n")).toEqual([expect.stringContaining("one or more [[openevse]] tables")]);
    expect(issues('[[openevse]]\nname = "bridge"\nport = "/dev/ttyUSB0"\n')).toEqual([expect.stringContaining("the bridge's own topic")]);
  });

  test("--demo's flag gives a controller without a file section", () => {
    const c = loadConfig(PLUGINS, { file: "/nonexistent/x.toml", fileRequired: false, env: {}, flags: ["openevse.enabled=true", ...(PLUGINS.find((p) => p.name === "openevse")?.demoFlags ?? [])] });
    expect(c.protocols.openevse?.controllers).toMatchObject([{ name: "openevse-demo", port: "tcp://127.0.0.1:8023" }]);
  });
});

test("ports: serial paths and tcp://host:port", () => {
  expect(parsePort("/dev/serial/by-id/usb-FTDI-if00-port0")).toEqual({ ok: true, value: { kind: "serial", path: "/dev/serial/by-id/usb-FTDI-if00-port0" } });
  expect(parsePort("tcp://[fd00::5]:2000")).toEqual({ ok: true, value: { kind: "tcp", host: "fd00::5", port: 2000 } });
  expect(parsePort("tcp://evse.local:23")).toEqual({ ok: true, value: { kind: "tcp", host: "evse.local", port: 23 } });
  for (const bad of ["tcp://evse.local", "tcp://:2000", "udp://1.2.3.4:5", "/dev/", "dev/ttyUSB0", "tcp://h:0"]) expect(parsePort(bad).ok).toBe(false);
});

describe("raw RAPI through the guard", () => {
  const guard = () => new ChargeGuard({ minA: 6, maxA: 24, switchIntervalMs: 30_000, stopAlwaysAllowed: true });

  test("$SC is clamped and always volatile; below the minimum refused; M refused", () => {
    const g = guard();
    expect(vetRapi(parseRapiText("$SC 40", true), g, true)).toEqual({ cmd: { code: "SC", params: ["24", "V"] }, clamped_from: 40, note: "sent as the volatile $SC … V (not saved to EEPROM)" });
    expect(vetRapi(parseRapiText("$SC 16 V", true), g, true)).toEqual({ cmd: { code: "SC", params: ["16", "V"] } });
    expect(() => vetRapi(parseRapiText("$SC 3 V", true), g, true)).toThrow("below the minimum 6 A");
    expect(() => vetRapi(parseRapiText("$SC 20 M", true), g, true)).toThrow("hardware maximum");
    expect(() => vetRapi(parseRapiText("$SC -5", true), g, true)).toThrow("whole number");
  });

  test("switching: stops always pass and are recorded; a start within the interval is refused; $F1 toggles", () => {
    const g = guard();
    expect(vetRapi(parseRapiText("$FS", true), g, true).cmd.code).toBe("FS");
    expect(() => vetRapi(parseRapiText("$FE", true), g, false)).toThrow("refused: the last on/off switch was 0 s ago");
    expect(() => vetRapi(parseRapiText("$F1", true), g, false)).toThrow("refused");
    // $FE while it already runs switches nothing: not refused.
    expect(vetRapi(parseRapiText("$FE", true), g, true).cmd.code).toBe("FE");
  });

  test("the gateway's filter without full RAPI; text that is not a command", () => {
    expect(parseRapiText("$GS", false)).toEqual({ code: "GS", params: [] });
    expect(parseRapiText("$FB 3", false)).toEqual({ code: "FB", params: ["3"] });
    expect(() => parseRapiText("$FE", false)).toThrow("not allowed");
    expect(() => parseRapiText("GS", true)).toThrow("starts with $");
    expect(() => vetRapi(parseRapiText("$FF E 1", true), guard(), true)).toThrow("echo");
  });
});
