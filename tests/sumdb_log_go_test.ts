// The real go command verifies an owner's modules with the owner's own checksum log:
// GOPROXY at the owner, GOSUMDB = the verifier key alone (no URL), nothing in
// GONOSUMDB/GOPRIVATE/GONOPROXY. `go get` and `go mod download` write the logged go.sum lines;
// one GOPATH (its cached head in $GOPATH/pkg/sumdb) keeps verifying while the log grows from 3
// to 300 records, past the 256-record tile boundary. Over HTTPS with .netrc for a private
// owner it works too, and neither anonymous readers nor another owner's credentials get
// anything from the log (401/403 naming no module or version).
import { enableLog, verifierKey } from "../src/sumdb_log/enable.ts";
import { openStore } from "../src/store/open_store.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { basic, runCli, spawnServer, startTestServer, type TestServer } from "./helpers/server.ts";
import { cachedHead, libZip, logEnv, logNameOf, published } from "./helpers/sumdb_log_go.ts";
import { makeCertificates } from "./helpers/tls.ts";

const LIB = "example.com/lib";
const FILLER = "example.com/filler";

const CONSUMER_MAIN = `package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println(lib.Version) }
`;

/** Publishes filler versions (8 at a time) until the owner's log holds `size` records. */
async function fillTo(
  server: TestServer,
  auth: string,
  from: number,
  size: number,
): Promise<void> {
  const pending = Array.from({ length: size - from }, (_, i) => `v0.0.${from + i}`);
  while (pending.length > 0) {
    const batch = pending.splice(0, 8);
    await Promise.all(
      batch.map(async (v) =>
        published(server.upload("alice", await libZip(FILLER, v, "filler"), auth))
      ),
    );
  }
}

/** The lookup answer of the log for a version, as the go command reads it. */
async function lookup(proxy: string, name: string, version: string): Promise<string> {
  const res = await fetch(`${proxy}/sumdb/${name}/lookup/${LIB}@${version}`);
  const text = await res.text();
  assertEquals(res.status, 200, text);
  return text;
}

Deno.test({
  name:
    "go get and go mod download verify hosted modules with the owner's log (GOSUMDB = verifier key alone); one GOPATH keeps verifying while the log grows 3 → 300",
  ignore: !goPrerequisites([]),
  async fn() {
    const server = await startTestServer();
    const go = await goSandbox(server.proxy("alice"));
    try {
      const auth = await server.user("alice");
      const meta = await enableLog(server.kv, "alice", { baseUrl: server.url });
      const vkey = (await verifierKey(server.kv, "alice"))!;
      const name = logNameOf(vkey);
      assertEquals(name, meta.name);
      const env = logEnv(vkey);
      const gopath = `${go.dir}/gopath`;

      const first = [];
      for (const v of ["v1.0.0", "v1.0.1", "v1.0.2"]) {
        first.push(await published(server.upload("alice", await libZip(LIB, v), auth)));
      }

      // go get in a module: go.sum holds exactly the logged lines of the version it chose.
      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, "module example.com/consumer\n\ngo 1.19\n");
      await Deno.writeTextFile(`${work}/main.go`, CONSUMER_MAIN);
      const got = await go.run(["get", `${LIB}@v1.0.2`], work, env);
      assertEquals(got.code, 0, got.stderr);
      const logged = await lookup(server.proxy("alice"), name, "v1.0.2");
      assertEquals(logged.split("\n")[0], "2"); // record 2 of the log
      assertEquals(logged.split("\n").slice(1, 3).join("\n") + "\n", first[2].gosum);
      assertEquals(await Deno.readTextFile(`${work}/go.sum`), first[2].gosum);
      const built = await go.run(["run", "."], work, { ...env, GOFLAGS: "" });
      assertEquals([built.code, built.stdout], [0, "v1.0.2\n"], built.stderr);
      assertEquals((await cachedHead(gopath, name)).n, 3);

      // go mod download of another version: the Sum/GoModSum it verified are the logged ones.
      const dl = await go.run(["mod", "download", "-json", `${LIB}@v1.0.0`], go.dir, env);
      assertEquals(dl.code, 0, dl.stdout + dl.stderr);
      const info = JSON.parse(dl.stdout);
      assertEquals([info.Sum, info.GoModSum], [first[0].h1, first[0].gomod_h1]);

      // The log grows; after each step the same GOPATH verifies the newest version, moving
      // its cached head forward (consistency proofs from the grown tree's tiles).
      let size = 3;
      for (const [step, target] of [100, 256, 257, 300].entries()) {
        await fillTo(server, auth, size, target - 1);
        const version = `v1.${step + 1}.0`;
        const newest = await published(server.upload("alice", await libZip(LIB, version), auth));
        size = target;
        const out = await go.run(["mod", "download", "-json", `${LIB}@${version}`], go.dir, env);
        assertEquals(out.code, 0, `log of ${size}: ${out.stdout}${out.stderr}`);
        assertEquals(JSON.parse(out.stdout).Sum, newest.h1);
        assertEquals((await cachedHead(gopath, name)).n, size, `cached head after ${version}`);
        assertEquals(
          (await lookup(server.proxy("alice"), name, version)).split("\n")[0],
          String(size - 1),
        );
      }
      // The client crossed the tile boundary: it holds the full first tile and the level-1 tile.
      const tiles = `${gopath}/pkg/mod/cache/download/sumdb/${name}/tile/8`;
      assertEquals((await Deno.readFile(`${tiles}/0/000`)).byteLength, 8192);
      assertEquals((await Deno.readFile(`${tiles}/0/001.p/44`)).byteLength, 44 * 32);
      assertEquals((await Deno.readFile(`${tiles}/1/000.p/1`)).byteLength, 32);
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});

Deno.test({
  name:
    "a private owner's log over HTTPS with .netrc: the go command verifies with it; anonymous and another owner's credentials get 401/403 for supported, lookup, tiles and latest",
  ignore: !goPrerequisites([]),
  async fn() {
    const MOD = "corp.example.com/tool";
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/modyard.kv`;
    await makeCertificates(dir);
    const token = async (owner: string, scope: string) =>
      (await runCli(kvPath, ["token", "create", owner, "--scope", scope])).stdout.trim();
    await runCli(kvPath, ["user", "create", "corp", "--private"]);
    await runCli(kvPath, ["user", "create", "eve", "--private"]);
    const writer = await token("corp", "write");
    const reader = await token("corp", "read");
    const eve = await token("eve", "write");
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] });
    const server = await spawnServer(kvPath, [], {
      cert: `${dir}/server.pem`,
      key: `${dir}/server.key`,
      client,
    });
    const proxy = `${server.url}/api/packages/corp/go`;
    const go = await goSandbox(proxy);
    try {
      // The log is enabled beside the running server (one more handle on the store file).
      const kv = await openStore(kvPath);
      let vkey: string;
      try {
        vkey = (await enableLog(kv, "corp", { baseUrl: server.url })).verifierKey;
      } finally {
        kv.close();
      }
      const name = logNameOf(vkey);
      const up = await fetch(`${proxy}/upload`, {
        method: "PUT",
        body: await libZip(MOD, "v1.0.0") as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("corp", writer) },
        client,
      });
      const pub = await published(Promise.resolve(up));

      await Deno.writeTextFile(`${dir}/netrc`, `machine 127.0.0.1 login corp password ${reader}\n`);
      const env = { ...logEnv(vkey), SSL_CERT_FILE: `${dir}/ca.pem`, NETRC: `${dir}/netrc` };
      const dl = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, env);
      assertEquals(dl.code, 0, dl.stdout + dl.stderr);
      assertEquals(JSON.parse(dl.stdout).Sum, pub.h1);
      assertEquals((await cachedHead(`${go.dir}/gopath`, name)).n, 1);
      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, "module example.com/consumer\n\ngo 1.19\n");
      const got = await go.run(["get", `${MOD}@v1.0.0`], work, env);
      assertEquals(got.code, 0, got.stderr);
      assertEquals(await Deno.readTextFile(`${work}/go.sum`), pub.gosum);

      // The log's answers, to the owner's reader, to nobody, and to another owner.
      const base = `${proxy}/sumdb/${name}`;
      const paths = [
        "supported",
        "latest",
        `lookup/${MOD}@v1.0.0`,
        "lookup/corp.example.com/absent@v9.9.9",
        "tile/8/0/000.p/1",
        "tile/8/data/000.p/1",
      ];
      const ask = async (path: string, authorization?: string) => {
        const res = await fetch(`${base}/${path}`, {
          headers: authorization ? { authorization } : {},
          client,
        });
        return { status: res.status, body: await res.text() };
      };
      for (const path of paths) {
        const own = await ask(path, basic("corp", reader));
        assertEquals(own.status, path.includes("absent") ? 404 : 200, `${path}: ${own.body}`);
        const nobody = await ask(path);
        assertEquals(nobody, {
          status: 401,
          body: 'owner "corp" is private: authentication required\n',
        }, path);
        const other = await ask(path, basic("eve", eve));
        assertEquals(other, { status: 403, body: 'user "eve" may not read owner "corp"\n' }, path);
      }
      // And the go command with another owner's credentials learns nothing of the version.
      await Deno.writeTextFile(`${dir}/netrc-eve`, `machine 127.0.0.1 login eve password ${eve}\n`);
      const denied = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, {
        ...env,
        NETRC: `${dir}/netrc-eve`,
        GOPATH: `${go.dir}/gopath-eve`,
        GOMODCACHE: `${go.dir}/gopath-eve/pkg/mod`,
      });
      assertOk(denied.code !== 0, denied.stdout);
      const said = JSON.parse(denied.stdout).Error as string;
      assertIncludes(said, "403 Forbidden");
      assertOk(!said.includes(pub.h1) && !said.includes(pub.gomod_h1), said);
    } finally {
      client.close();
      await server.stop();
      await go.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
