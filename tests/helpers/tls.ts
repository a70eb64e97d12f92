/**
 * A throwaway certificate authority and server certificate for HTTPS tests (openssl).
 *
 * @module
 */

import { outputWithin } from "./go.ts";

async function openssl(args: string[], cwd: string) {
  const out = await outputWithin(
    "openssl",
    { args, cwd, stdout: "null", stderr: "piped" },
    60_000,
    `openssl ${args[0]}`,
  );
  if (out.code !== 0) {
    throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it. */
export async function makeCertificates(dir: string) {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=modyard test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  ], dir);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  ], dir);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "san.ext",
    "-out",
    "server.pem",
  ], dir);
}
