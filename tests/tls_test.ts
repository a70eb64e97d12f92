// HTTPS with --tls-cert/--tls-key, trusted by Deno's fetch and by the go command.
import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { basic, runCli, spawnServer } from "./helpers/server.ts";
import { makeCertificates } from "./helpers/tls.ts";
import { moduleZip } from "./helpers/zip.ts";

Deno.test({
  name: "modyard serves HTTPS with --tls-cert/--tls-key; the go command downloads through it",
  ignore: !goPrerequisites([]),
  async fn() {
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/modyard.kv`;
    await makeCertificates(dir);
    await runCli(kvPath, ["user", "create", "alice"]);
    const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] });
    const server = await spawnServer(kvPath, [], {
      cert: `${dir}/server.pem`,
      key: `${dir}/server.key`,
      client,
    });
    const url = server.url;
    const go = await goSandbox(`${url}/api/packages/alice/go`);
    try {
      const zip = await moduleZip("example.com/tls", "v1.0.0", {
        "go.mod": "module example.com/tls\n",
        "tls.go": "package tls\n",
      });
      const up = await fetch(`${url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("alice", token) },
        client,
      });
      const created = await up.json();
      assertEquals(up.status, 201);
      const dl = await go.run(["mod", "download", "-json", "example.com/tls@v1.0.0"], go.dir, {
        SSL_CERT_FILE: `${dir}/ca.pem`,
      });
      assertEquals(dl.code, 0, dl.stderr);
      assertEquals(JSON.parse(dl.stdout).Sum, created.h1);
      // Without the CA the go command refuses the certificate, and says why.
      const untrusted = await go.run(
        ["mod", "download", "-json", "example.com/tls@v1.0.0"],
        go.dir,
        { SSL_CERT_FILE: "/dev/null", GOFLAGS: "-modcacherw", GOMODCACHE: `${go.dir}/other-cache` },
      );
      assertEquals(untrusted.code, 1, untrusted.stderr);
      assertEquals(
        JSON.parse(untrusted.stdout).Error,
        `example.com/tls@v1.0.0: Get "${url}` +
          `/api/packages/alice/go/example.com/tls/@v/v1.0.0.info": ` +
          "x509: certificate signed by unknown authority",
      );
      // Nor does a client without the CA get an answer (and over plain HTTP there is none).
      const refusal = await fetch(`${url}/healthz`).then(
        async (res) => `answered ${res.status} ${await res.text()}`,
        (err) => `${err.name}: ${err.message}: ${err.cause}`,
      );
      assertMatch(refusal, /^TypeError: fetch failed: .*invalid peer certificate: UnknownIssuer$/);
      const plain = await fetch(url.replace("https:", "http:") + "/healthz").then(
        async (res) => `answered ${res.status} ${await res.text()}`,
        (err) => `${err.name}: ${err.message}: ${err.cause}`,
      );
      assertMatch(plain, /^TypeError: fetch failed: .*client error/);
    } finally {
      client.close();
      await server.stop();
      await go.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
