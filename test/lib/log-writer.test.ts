import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lineWriter } from "../../lib/log.ts";

const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(): { chunks: string[]; stream: () => { write(b: Uint8Array): boolean } } {
  const chunks: string[] = [];
  return { chunks, stream: () => ({ write: (b) => chunks.push(new TextDecoder().decode(b)) > 0 }) };
}

describe("lineWriter", () => {
  test("writes whole lines straight to the descriptor; the stream is never made", () => {
    const file = join(dir, "direct.log");
    const fd = openSync(file, "w");
    const r = recorder();
    let made = 0;
    const write = lineWriter(fd, () => {
      made++;
      return r.stream();
    });
    write("first");
    write("zweite Zeile ü");
    closeSync(fd);
    expect(readFileSync(file, "utf8")).toBe("first\nzweite Zeile ü\n");
    expect(made).toBe(0);
  });

  test("a descriptor that fails hands this and every later line to the stream, in order", () => {
    // Far above any open descriptor (and the usual limit): every write fails with EBADF.
    const r = recorder();
    const write = lineWriter(1 << 24, r.stream);
    write("one");
    write("two");
    write("three");
    expect(r.chunks).toEqual(["one\n", "two\n", "three\n"]);
  });
});
