// A whole bridge in this process (config file → loadConfig → startBridge, as the CLI does) with its
// status page on a free loopback port, Dehne listening for simulated chargers, and a real Mosquitto.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningBridge, startBridge } from "../../../lib/bridge.ts";
import { loadConfig } from "../../../lib/config.ts";
import { createLogger, type LogLevel } from "../../../lib/log.ts";
import { PLUGINS } from "../../../protocols/index.ts";
import { writeConfigFile } from "../../support/config-file.ts";
import { freePort } from "../../support/mosquitto.ts";

export interface WebBridge {
  bridge: RunningBridge;
  base: string;
  dehnePort: number;
  /** `http(s)://127.0.0.1:<port>` without a trailing slash. */
  origin: string;
  logLines: string[];
}

export interface WebBridgeOptions {
  /** Lines for the [web] section besides `listen`. */
  web?: string;
  listen?: string;
  /** Further sections (e.g. [ocpp]). */
  extra?: string;
  /** Reuse a Dehne port and base topic (a restarted bridge). */
  dehnePort?: number;
  base?: string;
}

export async function startWebBridge(brokerUrl: string, o: WebBridgeOptions = {}): Promise<WebBridge> {
  const base = o.base ?? `web${Math.random().toString(16).slice(2, 8)}`;
  const dehnePort = o.dehnePort ?? (await freePort());
  const toml = `[mqtt]
url = "${brokerUrl}"
base_topic = "${base}"
client_id = "${base}"
reconnect_min_s = 0.2
reconnect_max_s = 0.5
[homeassistant]
discovery = false
[bridge]
republish_s = 0
[dehne]
listen = "127.0.0.1:${dehnePort}"
topic_publish = "from_${base}"
topic_subscribe = "to_${base}"
poll_interval_s = 1
[web]
listen = "${o.listen ?? "127.0.0.1:0"}"
${o.web ?? ""}
${o.extra ?? ""}
`;
  const config = loadConfig(PLUGINS, { file: writeConfigFile("web-e2e-", toml), fileRequired: true, env: {}, flags: [] });
  const logLines: string[] = [];
  const level = (process.env.TEST_LOG ? "debug" : "info") satisfies LogLevel;
  const log = createLogger({ level, json: false, write: (l) => {
    logLines.push(l);
    if (process.env.TEST_LOG) process.stderr.write(l + "\n");
  } });
  const bridge = await startBridge(config, PLUGINS, log);
  const web0 = bridge.web;
  if (!web0) throw new Error("the bridge started without its status page");
  return { bridge, base, dehnePort, origin: web0.url.replace(/\/$/, ""), logLines };
}

/** A self-signed certificate for 127.0.0.1 (PEM files in a fresh temp dir), made with openssl. */
export function selfSignedCert(): { certFile: string; keyFile: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-webtls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8") };
}
