// Tampering with the store, as an attacker with write access to it would, against the real
// go command verifying with the owner's log (GOSUMDB = the verifier key alone):
// - a version's zip bytes changed in its KV chunks, its record left alone or made to agree
//   with the new bytes, or its go.mod changed: the go command refuses the download with
//   SECURITY ERROR (checksum mismatch against the logged h1) and extracts nothing;
// - the store rolled back to an earlier copy of its file: a client that cached the newer head
//   refuses the older tree it cannot prove, and once the attacker republishes a logged version
//   with other bytes, reports the server's misbehaviour (SECURITY ERROR);
// - the log rewritten under the same key (a fork of the same size): a client that cached the
//   head reports the misbehaviour, or, without the tiles cached, an inconsistent tile.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, type GoResult, type GoSandbox, goSandbox } from "./helpers/go.ts";
import { hash1Of, sha256Hex } from "./helpers/h1_oracle.ts";
import {
  copyStoreFile,
  overwritePart,
  rewriteLog,
  storedPart,
  versionRecord,
} from "./helpers/kv_tamper.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { cachedHead, libFiles, libZip, logEnv, published } from "./helpers/sumdb_log_go.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";

const LIB = "example.com/lib";

/**
 * `go mod download -json MODULE@VERSION` in the sandbox; `error` is the failure's text: the
 * JSON `Error`, then standard error (a SECURITY ERROR about the log itself is fatal and goes
 * there, without JSON).
 */
async function download(
  go: GoSandbox,
  version: string,
  env: Record<string, string>,
): Promise<GoResult & { error: string }> {
  const out = await go.run(["mod", "download", "-json", `${LIB}@${version}`], go.dir, env);
  if (out.code === 0) return { ...out, error: "" };
  let json = "";
  try {
    json = JSON.parse(out.stdout).Error ?? "";
  } catch { /* no JSON: the error is on standard error */ }
  return { ...out, error: json + out.stderr };
}

/** Whether the go command extracted the version into its module cache. */
async function extracted(modcache: string, version: string): Promise<boolean> {
  try {
    await Deno.stat(`${modcache}/${LIB}@${version}`);
    return true;
  } catch {
    return false;
  }
}

/** A server with `alice`'s log enabled and `versions` of LIB published; the 201 answers. */
async function serverWithLog(versions: string[], kvPath?: string) {
  const server = await startTestServer(kvPath ? { kv: kvPath } : {});
  const auth = await server.user("alice");
  const meta = await enableLog(server.kv, "alice", { baseUrl: server.url });
  const answers = [];
  for (const v of versions) {
    answers.push(await published(server.upload("alice", await libZip(LIB, v), auth)));
  }
  return { server, auth, meta, answers };
}

Deno.test({
  name:
    "zip or go.mod bytes changed in KV (record left alone or made to agree): the go command refuses them with SECURITY ERROR against the log",
  ignore: !goPrerequisites([]),
  async fn() {
    const versions = ["v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3"];
    const { server, meta, answers } = await serverWithLog(versions);
    const go = await goSandbox(server.proxy("alice"));
    const env = logEnv(meta.verifierKey);
    const modcache = `${go.dir}/gopath/pkg/mod`;
    try {
      const cases = [
        { version: "v1.0.0", what: "zip changed, record left alone", agree: false },
        { version: "v1.0.1", what: "zip changed, record made to agree", agree: true },
      ];
      for (const [i, c] of cases.entries()) {
        const record = await versionRecord(server.kv, "alice", LIB, c.version);
        const original = await storedPart(server.kv, record, "zip");
        assertEquals(original, await libZip(LIB, c.version), "stored bytes are the uploaded ones");
        // One byte of lib.go flipped ("first" → "firsT"), the zip's CRC-32s made to match.
        const tampered = await libZip(LIB, c.version, "firsT");
        const differing = original.filter((b, j) => b !== tampered[j]).length;
        assertOk(differing >= 1 && differing <= 9, `${differing} bytes differ`);
        const forgedH1 = await hash1Of(libFiles(LIB, c.version, "firsT"));
        await overwritePart(
          server.kv,
          "alice",
          record,
          "zip",
          tampered,
          c.agree ? { sha256: await sha256Hex(tampered), h1: forgedH1 } : undefined,
        );
        // modyard serves the tampered bytes (nothing between the store and the client).
        const served = await fetch(`${server.proxy("alice")}/${LIB}/@v/${c.version}.zip`);
        assertEquals(new Uint8Array(await served.arrayBuffer()), tampered, c.what);

        const out = await download(go, c.version, env);
        assertOk(out.code !== 0, `${c.what}: accepted`);
        assertIncludes(
          out.error,
          `${LIB}@${c.version}: verifying module: checksum mismatch\n` +
            `\tdownloaded: ${forgedH1}\n\t${meta.name}: ${answers[i].h1}\n\n` +
            "SECURITY ERROR\nThis download does NOT match the one reported by the checksum server.",
          c.what,
        );
        assertEquals(await extracted(modcache, c.version), false, c.what);
      }

      // A byte flipped with the archive's CRC-32 left stale: refused before any hash is logged.
      const record2 = await versionRecord(server.kv, "alice", LIB, "v1.0.2");
      const flipped = await storedPart(server.kv, record2, "zip");
      const at = new TextDecoder().decode(flipped).indexOf("// first") + 3;
      flipped[at] ^= 0x20;
      await overwritePart(server.kv, "alice", record2, "zip", flipped);
      const crc = await download(go, "v1.0.2", env);
      assertOk(crc.code !== 0, "a zip with a stale CRC was accepted");
      assertIncludes(crc.error, "zip: checksum error");
      assertEquals(await extracted(modcache, "v1.0.2"), false);

      // The go.mod changed in KV ("go 1.19" → "go 1.18"): the go command checks it with the log too.
      const record3 = await versionRecord(server.kv, "alice", LIB, "v1.0.3");
      const goMod = new TextDecoder().decode(await storedPart(server.kv, record3, "mod"));
      const forgedMod = goMod.replace("go 1.19", "go 1.18");
      assertOk(forgedMod !== goMod);
      await overwritePart(server.kv, "alice", record3, "mod", new TextEncoder().encode(forgedMod));
      const mod = await download(go, "v1.0.3", env);
      assertOk(mod.code !== 0, "a changed go.mod was accepted");
      assertIncludes(
        mod.error,
        `${LIB}@v1.0.3: verifying go.mod: checksum mismatch\n` +
          `\tdownloaded: ${await hash1Of([{ name: "go.mod", data: forgedMod }])}\n` +
          `\t${meta.name}: ${answers[3].gomod_h1}\n\nSECURITY ERROR\n`,
      );
      assertEquals(await extracted(modcache, "v1.0.3"), false);
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});

Deno.test({
  name:
    "a store rolled back to an earlier copy: a client that cached the newer head refuses the older tree, and reports SECURITY ERROR when a logged version comes back with other bytes",
  ignore: !goPrerequisites([]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "modyard-rollback-" });
    const kvPath = `${dir}/modyard.kv`;
    const first = await serverWithLog(["v1.0.0", "v1.0.1", "v1.0.2"], kvPath);
    const { meta, auth } = first;
    await first.server.close();
    await copyStoreFile(kvPath, `${dir}/backup.kv`); // the log at size 3

    let server: TestServer = await startTestServer({ kv: kvPath });
    const go = await goSandbox(server.proxy("alice"));
    const gopath = `${go.dir}/gopath`;
    const env = (s: TestServer) => ({ ...logEnv(meta.verifierKey), GOPROXY: s.proxy("alice") });
    try {
      const v110 = await published(server.upload("alice", await libZip(LIB, "v1.1.0"), auth));
      await published(server.upload("alice", await libZip(LIB, "v1.2.0"), auth));
      const newer = await download(go, "v1.2.0", env(server));
      assertEquals(newer.code, 0, newer.stderr);
      const cached = await cachedHead(gopath, meta.name);
      assertEquals(cached.n, 5);
      await server.close();

      await copyStoreFile(`${dir}/backup.kv`, kvPath); // rolled back to size 3
      server = await startTestServer({ kv: kvPath });

      // The client kept the head of 5 records but not its tiles (a fresh module cache): it
      // cannot prove the tree of 3 it is shown against the head of 5 it trusts, and refuses.
      const fresh = await download(go, "v1.0.0", {
        ...env(server),
        GOMODCACHE: `${go.dir}/fresh-modcache`,
      });
      assertOk(fresh.code !== 0, "a rolled-back log was accepted without proof");
      assertIncludes(fresh.error, "initializing sumdb.Client: checking tree#5: reading ");
      assertIncludes(fresh.error, `/sumdb/${meta.name}/tile/8/0/000.p/5: 404 Not Found`);
      assertEquals((await cachedHead(gopath, meta.name)).note, cached.note);

      // The attacker republishes v1.1.0 with other bytes (the rolled-back store allows it):
      // the log now has another record 3. The client with the tiles of its head proves the fork.
      const forged = await published(
        server.upload("alice", await libZip(LIB, "v1.1.0", "forge"), auth),
      );
      assertOk(forged.h1 !== v110.h1);
      const forkSeen = await download(go, "v1.1.0", env(server));
      assertOk(forkSeen.code !== 0, "a forked log was accepted by a client that cached its head");
      assertIncludes(
        forkSeen.error,
        "SECURITY ERROR\ngo.sum database server misbehavior detected!\n\nold database:\n\tgo.sum database tree\n\t4\n",
      );
      assertIncludes(
        forkSeen.error,
        `new database:\n\t${cached.note.replaceAll("\n", "\n\t")}`,
      );
      assertEquals(await extracted(`${gopath}/pkg/mod`, "v1.1.0"), false);

      // Without a cached head nothing tells the forged history from the true one: what a
      // store writer can do when the signer key is kept in the store.
      const unaware = await download(go, "v1.1.0", {
        ...env(server),
        GOPATH: `${go.dir}/gopath-new`,
        GOMODCACHE: `${go.dir}/gopath-new/pkg/mod`,
      });
      assertEquals(unaware.code, 0, unaware.stderr);
      assertEquals(JSON.parse(unaware.stdout).Sum, forged.h1);
    } finally {
      await go.cleanup();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a log rewritten under the same key (same size, other order): a client that cached the head reports SECURITY ERROR, or an inconsistent tile without its tiles",
  ignore: !goPrerequisites([]),
  async fn() {
    const versions = ["v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4"];
    const { server, meta } = await serverWithLog(versions);
    const go = await goSandbox(server.proxy("alice"));
    const gopath = `${go.dir}/gopath`;
    const env = logEnv(meta.verifierKey);
    try {
      const seen = await download(go, "v1.0.4", env);
      assertEquals(seen.code, 0, seen.stderr);
      const cached = await cachedHead(gopath, meta.name);
      assertEquals(cached.n, 5);

      const old = await rewriteLog(
        server.kv,
        "alice",
        (items) => [items[1], items[0], ...items.slice(2)],
      );
      assertEquals(old.map((x) => x.version), versions);
      const forkedHead = await (await fetch(`${server.proxy("alice")}/sumdb/${meta.name}/latest`))
        .text();
      assertOk(forkedHead.startsWith("go.sum database tree\n5\n") && forkedHead !== cached.note);

      // The head cached, the tiles not (a fresh module cache): either the tiles the server
      // gives do not hash to the cached head, or — when the server still answers the tile
      // from its reply cache (the rewrite went around it, without a generation bump) — the
      // tile matches the cached head and the new head of the same size is the proof.
      const noTiles = await download(go, "v1.0.0", {
        ...env,
        GOMODCACHE: `${go.dir}/fresh-modcache`,
      });
      assertOk(noTiles.code !== 0, "a forked log was accepted");
      assertOk(
        noTiles.error.includes("checking tree#5: downloaded inconsistent tile") ||
          noTiles.error.includes(
            "SECURITY ERROR\ngo.sum database server misbehavior detected!",
          ),
        noTiles.error,
      );

      // Head and tiles cached: the proof of misbehaviour.
      const withTiles = await download(go, "v1.0.0", env);
      assertOk(withTiles.code !== 0, "a forked log was accepted");
      assertIncludes(
        withTiles.error,
        `SECURITY ERROR\ngo.sum database server misbehavior detected!\n\nold database:\n\t${
          forkedHead.replaceAll("\n", "\n\t")
        }`,
      );
      assertEquals((await cachedHead(gopath, meta.name)).note, cached.note);
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});
