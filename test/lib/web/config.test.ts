import { expect, test } from "bun:test";
import { loadConfig, maskSecrets } from "../../../lib/config.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { PLUGINS } from "../../../protocols/index.ts";
import { writeConfigFile } from "../../support/config-file.ts";

const load = (toml: string, env: Record<string, string> = {}, flags: string[] = []) =>
  loadConfig(PLUGINS, { file: writeConfigFile("webcfg-", toml), fileRequired: true, env, flags });

function issues(toml: string): { path: string; expected: string; value: unknown }[] {
  try {
    load(toml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path, expected: i.expected, value: i.value }));
    throw err;
  }
  throw new Error("expected a ConfigError");
}

test("[web] is off by default; environment and flags can switch it on", () => {
  const c = load("");
  expect(c.web).toEqual({ listen: "", tls_cert: "", tls_key: "", control: false, health_grace_s: 30, max_clients: 16 });
  expect(load("", { EVSE2MQTT_WEB_LISTEN: "127.0.0.1:8080" }).web.listen).toBe("127.0.0.1:8080");
  expect(load("", {}, ["web.listen=[::1]:9100", "web.control=false"]).web.listen).toBe("[::1]:9100");
});

test("[web] problems are reported by key: address, half a TLS pair or credential pair, control without a password", () => {
  const found = issues('[web]\nlisten = "8080"\ntls_cert = "/x.pem"\nusername = "admin"\ncontrol = true\nmax_client = 3\n');
  const paths = found.map((i) => i.path);
  expect(paths).toContain("web.listen");
  expect(paths).toContain("web.tls_key");
  expect(paths).toContain("web.username");
  expect(paths).toContain("web.control");
  expect(paths).toContain("web");
  expect(found.find((i) => i.path === "web.control")?.expected).toBe("control = true needs username and password");
});

test("the password is masked by check-config and in config errors", () => {
  const c = load('[web]\nlisten = "127.0.0.1:8080"\nusername = "admin"\npassword = "hunter2"\ncontrol = true\n');
  const shown = JSON.stringify(maskSecrets(c));
  expect(shown).toContain('"password":"***"');
  expect(shown).not.toContain("hunter2");
  const bad = issues('[web]\npassword = "hunter2"\nlisten = "nope"\n');
  expect(JSON.stringify(bad)).not.toContain("hunter2");
});
