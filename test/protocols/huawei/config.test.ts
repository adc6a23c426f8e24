// `[[huawei]]` tables with `[[huawei.connectors]]`, through the real config loader: defaults, and
// every mistake named with its table and key.
import { describe, expect, test } from "bun:test";
import { loadConfig, maskSecrets } from "../../../lib/config.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { PLUGINS } from "../../../protocols/index.ts";
import { writeConfigFile } from "../../support/config-file.ts";

const load = (toml: string) => loadConfig(PLUGINS, { file: writeConfigFile("huawei-cfg-", toml), fileRequired: true, env: {}, flags: [] });

function problems(toml: string): string[] {
  try {
    load(toml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.expected}`);
    throw err;
  }
  throw new Error("expected a config error");
}

const CONNECTOR = `[[huawei.connectors]]
global_connector_number = 1
max_export_current_a = 100
max_export_power_w = 30000
`;

describe("[[huawei]]", () => {
  test("the issue's example loads, with the module's defaults filled in", () => {
    const c = load(`[[huawei]]
name = "psu1"
host = "192.168.11.1"
port = 502
esn = "0000000000000000"
telemetry_prefix = "huawei"
goose = false
tls = false
${CONNECTOR}`);
    expect(c.protocols.huawei).toMatchObject({
      enabled: true,
      units: [
        {
          name: "psu1",
          host: "192.168.11.1",
          port: 502,
          esn: "0000000000000000",
          telemetry_prefix: "huawei",
          goose: false,
          tls: false,
          silence_timeout_s: 60,
          key_fetch_timeout_s: 10,
          allocation_timeout_s: 5,
          connectors: [{ global_connector_number: 1, max_export_current_a: 100, max_export_power_w: 30000 }],
        },
      ],
    });
    const minimal = load(`[[huawei]]\nname = "a"\nhost = "10.0.0.1"\n${CONNECTOR}`);
    expect(minimal.protocols.huawei).toMatchObject({ units: [{ port: 502, esn: "0000000000000000", telemetry_prefix: "" }] });
  });

  test("without a [[huawei]] table the protocol is off", () => {
    expect(load(`[log]\nlevel = "info"\n`).protocols.huawei).toEqual({ enabled: false, units: [] });
  });

  test("every mistake is named with its table and key", () => {
    const found = problems(`[[huawei]]
name = "psu 1"
host = "192.168.11.1:502"
port = 70000
esn = "${"9".repeat(23)}"
telemetry_prefix = "huawei/"
goose = true
tls = true
color = "red"
[[huawei.connectors]]
global_connector_number = 13
max_export_current_a = 0
max_export_power_w = -1
`);
    const has = (path: string, text: string) => expect(found.filter((p) => p.startsWith(`${path}: `) && p.includes(text))).not.toEqual([]);
    has("huawei[0]", "no such key");
    has("huawei[0].name", "letters, digits");
    has("huawei[0].host", "without a port");
    has("huawei[0].port", "");
    has("huawei[0].esn", "1–22 printable ASCII");
    has("huawei[0].telemetry_prefix", "no trailing slash");
    has("huawei[0].connectors.0.global_connector_number", "1–12");
    has("huawei[0].connectors.0.max_export_current_a", "above 0 A");
    has("huawei[0].connectors.0.max_export_power_w", "above 0 W");
  });

  test("cross-field rules: GOOSE needs an interface, TLS a CA, cert and key together, unique names and numbers", () => {
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\ngoose = true\n${CONNECTOR}`)).toContain("huawei[0].interface: goose = true needs interface (the Ethernet interface facing the PSU)");
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\ntls = true\n${CONNECTOR}`)).toContain("huawei[0].ca: tls = true needs ca (the CA that signed the PSU's certificate)");
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\ntls = true\nca = "/x"\ncert = "/c"\n${CONNECTOR}`)).toContain("huawei[0].key: cert and key go together (the dispenser's client certificate)");
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\nca = "/x"\n${CONNECTOR}`)).toContain("huawei[0].tls: ca/cert/key are set but tls = false; set tls = true or remove them");
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\n`)).toContain("huawei[0].connectors: at least one [[huawei.connectors]] table is needed");
    expect(problems(`[[huawei]]\nname = "a"\nhost = "h"\n${CONNECTOR}${CONNECTOR}`)).toContain("huawei[0].connectors: two connectors share a global_connector_number");
    const two = (a: string, b: string) => `[[huawei]]\n${a}\n${CONNECTOR}[[huawei]]\n${b}\n${CONNECTOR.replace("= 1\n", "= 2\n")}`;
    expect(problems(two(`name = "a"\nhost = "h"`, `name = "a"\nhost = "i"`))).toContain("huawei.units: two [[huawei]] tables share a name");
    expect(problems(two(`name = "a"\nhost = "h"\ntelemetry_prefix = "t"`, `name = "b"\nhost = "i"\ntelemetry_prefix = "t"`))).toContain("huawei.units: two [[huawei]] tables share a telemetry_prefix (their psu topics would mix)");
    const sameNumber = `[[huawei]]\nname = "a"\nhost = "h"\nesn = "1"\n${CONNECTOR}[[huawei]]\nname = "b"\nhost = "h"\nesn = "2"\n${CONNECTOR}`;
    expect(problems(sameNumber)).toContain("huawei.units: two [[huawei]] tables for the same PSU use the same global_connector_number");
  });

  test("the client key path is masked like every secret in check-config's output", () => {
    const c = load(`[[huawei]]\nname = "a"\nhost = "h"\ntls = true\nca = "/etc/psu/ca.pem"\ncert = "/etc/psu/c.pem"\nkey = "/etc/psu/k.pem"\n${CONNECTOR}`);
    expect(c.protocols.huawei).toMatchObject({ units: [{ key: "/etc/psu/k.pem" }] });
    expect(maskSecrets(c.protocols.huawei)).toMatchObject({ units: [{ key: "***", cert: "/etc/psu/c.pem" }] });
  });
});
