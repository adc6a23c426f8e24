import { expect, test } from "bun:test";
import { basicAuth, parseBasic } from "../../../lib/web/auth.ts";

const header = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}`;

test("Basic credentials are parsed, UTF-8 and colons in the password included", () => {
  expect(parseBasic(header("admin", "pä:ss wörd"))).toEqual({ username: "admin", password: "pä:ss wörd" });
  expect(parseBasic("basic " + Buffer.from("u:").toString("base64"))).toEqual({ username: "u", password: "" });
  for (const bad of [null, "", "Bearer abc", "Basic", "Basic !!!", `Basic ${Buffer.from("nocolon").toString("base64")}`, `Basic ${Buffer.from([0x75, 0x3a, 0xff]).toString("base64")}`]) {
    expect(parseBasic(bad)).toBeUndefined();
  }
});

test("only the exact user name and password pass", () => {
  const ok = basicAuth({ username: "admin", password: "s3cret" });
  expect(ok(header("admin", "s3cret"))).toBe(true);
  expect(ok(header("admin", "s3cret "))).toBe(false);
  expect(ok(header("admin", "s3cre"))).toBe(false);
  expect(ok(header("Admin", "s3cret"))).toBe(false);
  expect(ok(header("", ""))).toBe(false);
  expect(ok(null)).toBe(false);
  expect(ok("Basic garbage")).toBe(false);
});
