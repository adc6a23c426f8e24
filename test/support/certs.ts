// Throw-away TLS material made with openssl for one test run: a CA, a server certificate for
// 127.0.0.1/localhost, a server certificate with no usable name, and a client certificate (mTLS).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  cert: string;
  key: string;
}

export interface TestCerts {
  ca: string;
  /** SAN IP:127.0.0.1, DNS:localhost. */
  server: Pem;
  /** Signed by the CA, but named "charger" only (like Huawei PSU leaf certificates). */
  unnamed: Pem;
  client: Pem;
  /** A CA nobody signed with: a client trusting only it must refuse the server. */
  otherCa: string;
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-certs-"));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    const ca = (name: string) => ssl("req", "-x509", ...ec, "-keyout", f(`${name}.key`), "-out", f(`${name}.crt`), "-days", "2", "-subj", `/CN=${name}`);
    ca("test-ca");
    ca("other-ca");
    const leaf = (name: string, subject: string, ext: string) => {
      ssl("req", ...ec, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", subject);
      writeFileSync(f(`${name}.ext`), ext);
      ssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f("test-ca.crt"), "-CAkey", f("test-ca.key"), "-CAcreateserial", "-out", f(`${name}.crt`), "-days", "2", "-extfile", f(`${name}.ext`));
      return { cert: readFileSync(f(`${name}.crt`), "utf8"), key: readFileSync(f(`${name}.key`), "utf8") };
    };
    return {
      ca: readFileSync(f("test-ca.crt"), "utf8"),
      otherCa: readFileSync(f("other-ca.crt"), "utf8"),
      server: leaf("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
      unnamed: leaf("unnamed", "/CN=charger", "extendedKeyUsage=serverAuth\n"),
      client: leaf("client", "/CN=bridge", "extendedKeyUsage=clientAuth\n"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
