// GOOSE on real raw sockets (spec §6): as root on Linux, a private network namespace with a veth
// pair holds Mosquitto, the bridge (goose = true on one end) and the simulated PSU (the other end);
// a whole charge is driven over MQTT, here under Bun (goose-netns-deno.test.ts: under Deno), each
// through its runtime's FFI. Without root the run cannot happen: one line says so, the frames stay
// covered byte for byte by the §12.3 vectors (goose.test.ts, goose-receive.test.ts), and the
// refusal without CAP_NET_RAW is checked.
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { gooseNetnsSuite, ROOT } from "./goose-netns-run.ts";

gooseNetnsSuite("bun", () => {
  test("without CAP_NET_RAW the socket is refused with a sentence that says so", () => {
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
    if (!setpriv) {
      process.stderr.write("goose-netns: setpriv missing; the unprivileged refusal was not checked\n");
      return;
    }
    const script = `import { openRawEthernet } from ${JSON.stringify(resolve(ROOT, "lib/raw-ethernet.ts"))};
openRawEthernet({ interface: "lo", ethertype: 0x88b8 }).then(() => console.log("OPENED"), (e) => console.log(String(e)));`;
    const out = execFileSync(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", resolve(ROOT, "node_modules/.bin/bun"), "-e", script], { encoding: "utf8", cwd: "/tmp" });
    expect(out.trim()).toBe("LinkError: raw socket on lo: operation not permitted: raw Ethernet needs root or CAP_NET_RAW (errno 1)");
  });
});
