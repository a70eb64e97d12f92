// Private modules end to end over HTTPS: the go command reads a read token from .netrc
// and downloads and installs a private owner's module; without the netrc entry it fails
// and shows modyard's 401 reason.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox, outputWithin } from "./helpers/go.ts";
import { basic, runCli, spawnServer } from "./helpers/server.ts";
import { makeCertificates } from "./helpers/tls.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "corp.example.com/tool";

Deno.test({
  name: "go mod download and go install of a private module over HTTPS with a .netrc read token",
  ignore: !goPrerequisites([]),
  async fn() {
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/modyard.kv`;
    await makeCertificates(dir);
    await runCli(kvPath, ["user", "create", "corp", "--private"]);
    const writer = (await runCli(kvPath, ["token", "create", "corp", "--scope", "write"])).stdout
      .trim();
    const reader =
      (await runCli(kvPath, ["token", "create", "corp", "--scope", "read", "--label", "netrc"]))
        .stdout.trim();
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] });
    const server = await spawnServer(kvPath, [], {
      cert: `${dir}/server.pem`,
      key: `${dir}/server.key`,
      client,
    });
    const go = await goSandbox(`${server.url}/api/packages/corp/go`);
    try {
      const zip = await moduleZip(MOD, "v1.0.0", {
        "go.mod": `module ${MOD}\n\ngo 1.19\n`,
        "main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("private tool") }\n',
      });
      const up = await fetch(`${server.url}/api/packages/corp/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("corp", writer) },
        client,
      });
      const published = await up.json();
      assertEquals(up.status, 201);

      await Deno.writeTextFile(`${dir}/netrc`, `machine 127.0.0.1 login corp password ${reader}\n`);
      const env = {
        SSL_CERT_FILE: `${dir}/ca.pem`,
        NETRC: `${dir}/netrc`,
        GONOSUMDB: "corp.example.com",
      };
      const dl = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, env);
      assertEquals(dl.code, 0, dl.stderr);
      assertEquals(JSON.parse(dl.stdout).Sum, published.h1);
      const install = await go.run(["install", `${MOD}@v1.0.0`], go.dir, { ...env, GOFLAGS: "" });
      assertEquals(install.code, 0, install.stderr);
      const ran = await outputWithin(
        `${go.dir}/gopath/bin/tool`,
        { stdout: "piped" },
        60_000,
        "the installed tool program",
      );
      assertEquals(new TextDecoder().decode(ran.stdout), "private tool\n");

      const anonymous = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, {
        ...env,
        NETRC: "/dev/null",
        GOMODCACHE: `${go.dir}/other-cache`,
        GOFLAGS: "-modcacherw",
      });
      assertEquals(anonymous.code !== 0, true);
      const said = JSON.parse(anonymous.stdout).Error as string;
      assertIncludes(said, "401 Unauthorized");
      assertIncludes(said, 'server response: owner "corp" is private: authentication required');
    } finally {
      client.close();
      await server.stop();
      await go.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
