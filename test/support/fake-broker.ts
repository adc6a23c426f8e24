// A deliberately broken MQTT broker on a real loopback socket, for what real brokers do only
// sometimes: refuse logins for a while, or accept a connection and then never acknowledge anything.
import net from "node:net";

export interface FakeBrokerOptions {
  /** CONNECTs refused before one is accepted (reason 0x87 / return code 5: not authorised). */
  refuse?: number;
}

export class FakeBroker {
  connects = 0;
  publishes = 0;
  subscribes = 0;
  private sockets = new Set<net.Socket>();

  private constructor(private server: net.Server, readonly port: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(opts: FakeBrokerOptions = {}): Promise<FakeBroker> {
    let broker: FakeBroker | undefined;
    const server = net.createServer((s) => broker?.serve(s, opts));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const addr = server.address();
    broker = new FakeBroker(server, typeof addr === "object" && addr ? addr.port : 0);
    return broker;
  }

  private serve(s: net.Socket, opts: FakeBrokerOptions): void {
    this.sockets.add(s);
    s.on("error", () => {});
    s.once("close", () => this.sockets.delete(s));
    let buf = Buffer.alloc(0);
    s.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const p = packet(buf);
        if (!p) return;
        buf = buf.subarray(p.total);
        const type = p.first >> 4;
        if (type === 1) {
          // CONNECT: protocol name (2-byte length + "MQTT"), then the level (4 = 3.1.1, 5 = 5).
          const level = p.body[6] ?? 4;
          this.connects++;
          const refuse = this.connects <= (opts.refuse ?? 0);
          if (level === 5) s.write(Buffer.from([0x20, 0x03, 0x00, refuse ? 0x87 : 0x00, 0x00]));
          else s.write(Buffer.from([0x20, 0x02, 0x00, refuse ? 0x05 : 0x00]));
          if (refuse) s.end();
        } else if (type === 3) {
          // PUBLISH: counted, never acknowledged.
          this.publishes++;
        } else if (type === 8) {
          // SUBSCRIBE: counted, never acknowledged.
          this.subscribes++;
        } else if (type === 12) {
          s.write(Buffer.from([0xd0, 0x00]));
        } else if (type === 14) {
          s.end();
        }
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function packet(buf: Buffer): { first: number; body: Buffer; total: number } | undefined {
  if (buf.length < 2) return undefined;
  let len = 0;
  let mul = 1;
  let i = 1;
  for (;;) {
    const b = buf[i];
    if (b === undefined) return undefined;
    len += (b & 0x7f) * mul;
    mul *= 128;
    i++;
    if ((b & 0x80) === 0) break;
  }
  if (buf.length < i + len) return undefined;
  return { first: buf[0] ?? 0, body: buf.subarray(i, i + len), total: i + len };
}
