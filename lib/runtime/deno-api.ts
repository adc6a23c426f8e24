// The slice of Deno's namespace the Deno adapter uses. The project type-checks against bun-types
// and @types/node, so these few declarations stand in for lib.deno.d.ts (same names and shapes).
export interface DenoNetAddr {
  transport: "tcp" | "udp";
  hostname: string;
  port: number;
}

export interface DenoConn {
  readonly remoteAddr: DenoNetAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  closeWrite(): Promise<void>;
  /** TCP connections only. */
  setNoDelay?(noDelay?: boolean): void;
  /** TLS connections only: runs the handshake now, so a bad certificate fails here. */
  handshake?(): Promise<unknown>;
}

export interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: DenoNetAddr;
  close(): void;
}

export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  readonly finished: Promise<void>;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  cert?: string;
  key?: string;
  signal?: AbortSignal;
  onListen?: (addr: DenoNetAddr) => void;
  onError?: (error: unknown) => Response | Promise<Response>;
}

export type DenoServeHandler = (req: Request, info: { remoteAddr: DenoNetAddr }) => Response | Promise<Response>;

export interface DenoFsFile {
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

export interface DenoApi {
  open(path: string, o: { read?: boolean; write?: boolean }): Promise<DenoFsFile>;
  listen(o: { hostname: string; port: number; transport?: "tcp" }): DenoListener;
  listenTls(o: { hostname: string; port: number; cert: string; key: string }): DenoListener;
  connect(o: { hostname: string; port: number; transport?: "tcp" }): Promise<DenoConn>;
  connectTls(o: { hostname: string; port: number; caCerts?: string[]; cert?: string; key?: string; unsafelyDisableHostnameVerification?: boolean }): Promise<DenoConn>;
  serve(o: DenoServeOptions, handler: DenoServeHandler): DenoHttpServer;
  upgradeWebSocket(req: Request, o?: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response };
}

declare const Deno: DenoApi;

/** Only to be called on Deno (lib/runtime/select.ts loads the Deno adapter only there). */
export const deno = (): DenoApi => Deno;
