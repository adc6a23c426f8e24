import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { loadConfig, maskSecrets } from "../../lib/config.ts";
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { ConfigError } from "../../lib/errors.ts";
import { PLUGINS } from "../../protocols/index.ts";
import { writeConfigFile } from "../support/config-file.ts";

const plugins = PLUGINS;

const file = (text: string): string => writeConfigFile("cfg-", text);

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => i.path);
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  test("defaults without a file", () => {
    const c = loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: false, env: {}, flags: [] });
    expect(c.fileFound).toBe(false);
    expect(c.mqtt.base_topic).toBe("evse2mqtt");
    expect(c.mqtt.embedded_port).toBe(1883);
    expect(c.protocols.dehne?.listen).toBe("[::]:9091");
    expect(c.protocols.dehne?.poll_interval_s).toBe(5);
    expect(c.protocols.dehne?.enabled).toBe(true);
  });

  test("precedence: flags > env > file > defaults", () => {
    const f = file(`[mqtt]\nbase_topic = "file"\nclient_id = "file-id"\n[dehne]\npoll_interval_s = 3\nreply_timeout_s = 4\n`);
    const c = loadConfig(plugins, {
      file: f,
      fileRequired: true,
      env: { EVSE2MQTT_MQTT_BASE_TOPIC: "env", EVSE2MQTT_DEHNE_POLL_INTERVAL_S: "2", EVSE2MQTT_MQTT_PASSWORD: "1234" },
      flags: ["mqtt.base_topic=flag"],
    });
    expect(c.mqtt.base_topic).toBe("flag");
    expect(c.mqtt.client_id).toBe("file-id");
    expect(c.protocols.dehne?.poll_interval_s).toBe(2);
    expect(c.protocols.dehne?.reply_timeout_s).toBe(4);
    // A numeric-looking password stays text.
    expect(c.mqtt.password).toBe("1234");
  });

  test("every problem is listed with its key path", () => {
    const f = file(`[mqtt]\nurl = "ftp://x"\nbase_topc = "typo"\n[dehne]\nmax_current_a = 200\nlisten = "nonsense:port"\n[dehne.names]\nabc = "x"\n[nonsense]\n`);
    const paths = issuesOf(() => loadConfig(plugins, { file: f, fileRequired: true, env: {}, flags: [] }));
    expect(paths).toContain("mqtt.url");
    expect(paths).toContain("mqtt");
    expect(paths).toContain("dehne.max_current_a");
    expect(paths).toContain("dehne.listen");
    expect(paths.some((p) => p.startsWith("dehne.names"))).toBe(true);
    expect(paths).toContain("nonsense");
  });

  test("two Dehne serials with one name are refused", () => {
    const f = file(`[dehne.names]\n10BA23AB50534D53302E3120FF162332 = "garage"\n795AF52150534D53302E3120FF16112E = "garage"\n`);
    expect(issuesOf(() => loadConfig(plugins, { file: f, fileRequired: true, env: {}, flags: [] }))).toContain("dehne.names");
  });

  test("broken TOML and a missing explicit file are errors", () => {
    expect(() => loadConfig(plugins, { file: file("[mqtt\nurl="), fileRequired: true, env: {}, flags: [] })).toThrow(/valid TOML/);
    expect(() => loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: true, env: {}, flags: [] })).toThrow(/existing config file/);
  });

  test("a protocol section can switch itself off", () => {
    const c = loadConfig(plugins, { file: file(`[dehne]\nenabled = false\n`), fileRequired: true, env: {}, flags: [] });
    expect(c.protocols.dehne?.enabled).toBe(false);
  });

  test("secrets never show in errors or check-config output, URL credentials included", () => {
    const f = file(`[mqtt]\nurl = "mqtt://alice:S3cretPw@broker:1883"\npassword = 12345\n`);
    let message = "";
    try {
      loadConfig(plugins, { file: f, fileRequired: true, env: {}, flags: [] });
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain("mqtt.password");
    expect(message).not.toContain("12345");
    const ok = loadConfig(plugins, { file: file(`[mqtt]\nurl = "mqtt://alice:S3cretPw@broker:1883"\n`), fileRequired: true, env: {}, flags: [] });
    expect(JSON.stringify(maskSecrets(ok))).not.toContain("S3cretPw");
    expect(JSON.stringify(maskSecrets(ok))).toContain("mqtt://alice:***@broker:1883");
  });

  test("no secret reaches an error or check-config: misspelt sections and --set keys, keys named like secrets", () => {
    const err = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return String(e);
      }
      throw new Error("expected an error");
    };
    const typoSection = err(() => loadConfig(plugins, { file: file(`[mqt]\nurl = "mqtt://b"\npassword = "Hunter22"\n`), fileRequired: true, env: {}, flags: [] }));
    expect(typoSection).toContain("mqt: a known section");
    expect(typoSection).not.toContain("Hunter22");
    const typoFlag = err(() => loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: false, env: {}, flags: ["mqtt.pasword=Hunter22"] }));
    expect(typoFlag).toContain("--set mqtt.pasword");
    expect(typoFlag).not.toContain("Hunter22");
    const c = loadConfig(plugins, { file: file(`[ocpp]\nboot_configuration = { AuthorizationKey = "0011AABB", HeartbeatInterval = "60" }\n`), fileRequired: true, env: {}, flags: [] });
    const shown = JSON.stringify(maskSecrets(c));
    expect(shown).not.toContain("0011AABB");
    expect(shown).toContain('"HeartbeatInterval":"60"');
    // Only whole words count as a PIN: ping_interval_s stays visible.
    expect(shown).toContain('"ping_interval_s":30');
    expect(JSON.stringify(maskSecrets({ wifi_pin: "1234", api_token: "t", secret_sauce: "x" }))).not.toMatch(/1234|"t"|"x"/);
  });

  test("tls_cert without tls_key (or the reverse) is a config error, not a silent ws://", () => {
    expect(issuesOf(() => loadConfig(plugins, { file: file(`[ocpp]\ntls_cert = "/x/cert.pem"\n`), fileRequired: true, env: {}, flags: [] }))).toContain("ocpp.tls_key");
    expect(issuesOf(() => loadConfig(plugins, { file: file(`[ocpp]\ntls_key = "/x/key.pem"\n`), fileRequired: true, env: {}, flags: [] }))).toContain("ocpp.tls_key");
  });

  test("the embedded broker listens on loopback unless told otherwise", () => {
    const c = loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: false, env: {}, flags: [] });
    expect(c.mqtt.embedded_bind).toBe("127.0.0.1");
  });

  test("a protocol configured as a list of tables ([[x]]) gets its list; errors name the entry", () => {
    const unit = z.object({ name: z.string(), port: z.number().int().min(1) }).strict();
    const listed: ProtocolPlugin = {
      name: "listed",
      summary: "test",
      arraySection: "units",
      configSchema: z.object({ enabled: z.boolean().default(false), poll_s: z.number().default(5), units: z.array(unit).default([]) }).strict(),
      enabledByDefault: false,
      start: () => Promise.reject(new Error("not started in this test")),
      simulate: () => Promise.reject(new Error("not simulated in this test")),
      demo: () => Promise.reject(new Error("no demo in this test")),
    };
    const all = [...plugins, listed];
    const c = loadConfig(all, { file: file(`[[listed]]\nname = "a"\nport = 1\n[[listed]]\nname = "b"\nport = 2\n`), fileRequired: true, env: { EVSE2MQTT_LISTED_POLL_S: "7" }, flags: [] });
    expect(c.protocols.listed).toEqual({ enabled: true, poll_s: 7, units: [{ name: "a", port: 1 }, { name: "b", port: 2 }] });
    const bad = issuesOf(() => loadConfig(all, { file: file(`[[listed]]\nname = "a"\nport = 1\n[[listed]]\nname = "b"\nport = 0\nprot = 3\n`), fileRequired: true, env: {}, flags: [] }));
    expect(bad.sort()).toEqual(["listed[1]", "listed[1].port"]);
    expect(loadConfig(all, { file: "/nonexistent/x.toml", fileRequired: false, env: {}, flags: [] }).protocols.listed).toEqual({ enabled: false, poll_s: 5, units: [] });
  });

  test("secrets are masked", () => {
    const masked = maskSecrets({ mqtt: { password: "hunter2", username: "u" }, evsemaster: { charger: [{ serial: "1", password: "123456" }] } });
    expect(JSON.stringify(masked)).not.toContain("hunter2");
    expect(JSON.stringify(masked)).not.toContain("123456");
    expect(JSON.stringify(masked)).toContain('"username":"u"');
  });

  test("ocpp2mqtt environment names are aliases below EVSE2MQTT_* and switch OCPP on", () => {
    const c = loadConfig(plugins, {
      file: "/nonexistent/x.toml",
      fileRequired: false,
      env: { MQTT_BASEPATH: "ocpp/", LISTEN_PORT: "3000", AUTHORIZED_TAG_ID_LIST: '["TAG1"]', MQTT_HOSTNAME: "broker", EVSE2MQTT_OCPP_LISTEN: "0.0.0.0:9100", LOG_LEVEL: "debug" },
      flags: [],
    });
    expect(c.protocols.ocpp?.enabled).toBe(true);
    expect(c.protocols.ocpp?.compat_base).toBe("ocpp");
    expect(c.protocols.ocpp?.authorized_tags).toEqual(["TAG1"]);
    expect(c.protocols.ocpp?.listen).toBe("0.0.0.0:9100");
    expect(c.mqtt.url).toBe("mqtt://broker:1883");
    expect(c.log.level).toBe("debug");
  });

  test("generic names alone (no ocpp2mqtt marker) change nothing", () => {
    const c = loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: false, env: { LOG_LEVEL: "debug", MQTT_HOSTNAME: "elsewhere" }, flags: [] });
    expect(c.log.level).toBe("info");
    expect(c.mqtt.url).toBe("mqtt://localhost:1883");
    expect(c.protocols.ocpp?.enabled).toBe(false);
  });

  test("an unusable alias is reported like a config error", () => {
    expect(() => loadConfig(plugins, { file: "/nonexistent/x.toml", fileRequired: false, env: { AUTHORIZED_TAG_ID_LIST: "TAG1,TAG2" }, flags: [] })).toThrow(/AUTHORIZED_TAG_ID_LIST/);
  });
});
