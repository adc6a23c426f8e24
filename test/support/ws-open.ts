// A `ws` client connection for tests of our WebSocket servers: resolves once open, rejects with
// the HTTP status (and WWW-Authenticate) when the server refuses the upgrade.
import { WebSocket } from "ws";

export function openWs(url: string, protocols: string[] = []): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_q, res) => {
      reject(new Error(`HTTP ${res.statusCode} ${res.headers["www-authenticate"] ?? ""}`.trim()));
      ws.terminate();
    });
  });
}
