// The 16 MiB go.mod limit of golang.org/x/mod (MaxGoMod): a go.mod of exactly 16 MiB is
// published and served verbatim; one byte more is refused with x/mod's own reason, naming
// the entry. Both zips are tiny (the go.mod is comment lines, which deflate ~1000:1), so the
// test costs seconds, not gigabytes. Where the go command and Debian's x/mod are installed,
// x/mod's CheckZip is asked too and must give the same verdict and reason.
import { assertEquals } from "./helpers/assert.ts";
import { goModHash1Of, hash1Of, sha256Hex } from "./helpers/h1_oracle.ts";
import { buildGoHelper, findGo } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const LIMIT = 16 * 1024 * 1024; // x/mod zip.MaxGoMod, written out rather than imported
const PATH = "example.com/big";

/** A valid go.mod of exactly `size` bytes: the module line, then 80-byte comment lines. */
function goModOfSize(size: number): Uint8Array {
  const head = new TextEncoder().encode(`module ${PATH}\n\ngo 1.19\n`);
  const out = new Uint8Array(size);
  out.set(head);
  const comment = (at: number, length: number) => {
    out.fill(0x78, at, at + length - 1); // "x"
    out[at] = out[at + 1] = 0x2f; // "//"
    out[at + length - 1] = 0x0a;
  };
  let at = head.length;
  let rest = size - at;
  const odd = rest % 80;
  if (odd > 0 && odd < 3) { // too short for "//\n": make one line longer instead
    comment(at, 80 + odd);
    at += 80 + odd;
    rest -= 80 + odd;
  } else if (odd >= 3) {
    comment(at, odd);
    at += odd;
    rest -= odd;
  }
  for (; rest > 0; rest -= 80, at += 80) comment(at, 80);
  return out;
}

/** x/mod's CheckZip verdict on a zip, or `null` when go or Debian's x/mod is missing. */
async function xmodVerdict(
  zip: Uint8Array,
  version: string,
): Promise<{ ok: boolean; err: string; h1: string } | null> {
  if (findGo() === null) return null;
  try {
    Deno.statSync("/usr/share/gocode/src/golang.org/x/mod/zip");
  } catch {
    return null;
  }
  const dir = await Deno.makeTempDir({ prefix: "modyard-gomod-size-" });
  try {
    const helper = await buildGoHelper("xmodcheck", dir);
    await Deno.writeFile(`${dir}/m.zip`, zip);
    const child = new Deno.Command(helper, {
      stdin: "piped",
      stdout: "piped",
      signal: AbortSignal.timeout(120_000),
    }).spawn();
    const output = child.output();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(`${PATH}\t${version}\t${dir}/m.zip\n`));
    await w.close();
    return JSON.parse(new TextDecoder().decode((await output).stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a go.mod of exactly 16 MiB is accepted and served verbatim; one byte more → 400 with x/mod's reason", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");

    const atLimit = goModOfSize(LIMIT);
    assertEquals(atLimit.length, LIMIT);
    const okZip = await moduleZip(PATH, "v1.0.0", { "go.mod": atLimit });
    assertEquals(okZip.length < 1024 * 1024, true, `zip of ${okZip.length} bytes`);
    const created = await server.upload("alice", okZip, auth);
    const text = await created.text();
    assertEquals(created.status, 201, text.slice(0, 300));
    const reply = JSON.parse(text);
    assertEquals(reply.gomod_h1, await goModHash1Of(atLimit));
    assertEquals(reply.h1, await hash1Of([{ name: `${PATH}@v1.0.0/go.mod`, data: atLimit }]));
    const served = await fetch(`${server.proxy("alice")}/${PATH}/@v/v1.0.0.mod`);
    const servedBytes = new Uint8Array(await served.arrayBuffer());
    assertEquals(served.status, 200);
    assertEquals(servedBytes.length, LIMIT);
    assertEquals(await sha256Hex(servedBytes), await sha256Hex(atLimit));

    const overLimit = goModOfSize(LIMIT + 1);
    const badZip = await moduleZip(PATH, "v1.0.1", { "go.mod": overLimit });
    const refused = await server.upload("alice", badZip, auth);
    const reason = await refused.text();
    const want = `${PATH}@v1.0.1/go.mod: go.mod file too large (max size is ${LIMIT} bytes)`;
    assertEquals([refused.status, reason], [400, want + "\n"]);
    assertEquals(refused.headers.get("content-type"), "text/plain; charset=utf-8");
    const list = await fetch(`${server.proxy("alice")}/${PATH}/@v/list`);
    assertEquals(await list.text(), "v1.0.0\n");

    // The oracle: x/mod itself, where it is installed.
    const xmodOk = await xmodVerdict(okZip, "v1.0.0");
    if (xmodOk === null) {
      console.warn("x/mod not installed: its verdict on the two zips was not compared");
    } else {
      // x/mod accepts the zip, and its lax parser reads the 16 MiB go.mod as naming the module.
      assertEquals(xmodOk, { ok: true, err: "", h1: reply.h1, gomod: true, gomod_module: PATH });
      assertEquals(await xmodVerdict(badZip, "v1.0.1"), { ok: false, err: want, h1: "" });
    }
  } finally {
    await server.close();
  }
});
