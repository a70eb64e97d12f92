// The real go command over HTTPS with what `login --apply` wrote: the .netrc entry (among
// comments, default, a macdef block and odd whitespace, all kept byte-for-byte) and the
// settings in GOENV (the go command reads GOPROXY, GONOSUMDB or GOSUMDB from that file
// alone). A private owner's module downloads; after `logout` the file is as before and the
// revoked token gets 401 from the go command too. With a checksum database, GOSUMDB is
// the owner's verifier key and the go command verifies against the owner's log.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { LOGIN_PASSWORD, LOGIN_USER, loginToken, startLoginRegistry } from "./helpers/login_env.ts";
import { basic, runCli } from "./helpers/server.ts";
import { cachedHead, libZip, logNameOf, published } from "./helpers/sumdb_log_go.ts";

const MOD = "corp.example.com/lib";

const OTHERS = "# my machines\n" +
  "machine git.corp.example.com\n\tlogin bob\n\tpassword s3cret   \n\n" +
  "machine   other.example.com   login  carol   password  x\r\n" +
  "macdef init\nmachine 127.0.0.1 login macro password body\n\n" +
  "  default login anonymous password guest@example.com\n";

Deno.test({
  name:
    "go mod download over HTTPS with the .netrc and GOENV settings login --apply wrote; logout restores the file and the go command gets 401",
  ignore: !goPrerequisites([]),
  async fn() {
    const r = await startLoginRegistry({ private: true });
    const go = await goSandbox("unused: GOPROXY comes from GOENV");
    // Empty environment values let the go command read GOENV's file.
    const goEnv = (extra: Record<string, string> = {}) => ({
      GOENV: r.goenv,
      NETRC: r.netrc,
      SSL_CERT_FILE: r.caFile,
      GOPROXY: "",
      GOSUMDB: "",
      GOFLAGS: "-modcacherw",
      ...extra,
    });
    try {
      const writer = await r.token("write");
      const v1 = await published(r.fetch(`/api/packages/${LOGIN_USER}/go/upload`, {
        method: "PUT",
        body: await libZip(MOD, "v1.0.0") as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic(LOGIN_USER, writer) },
      }));

      await Deno.writeTextFile(r.netrc, OTHERS);
      const login = await r.cli(
        ["login", r.url, "--user", LOGIN_USER, "--password-stdin", "--apply"],
        { stdin: `${LOGIN_PASSWORD}\n` },
      );
      assertEquals(login.code, 0, login.stderr);
      const netrc = await Deno.readTextFile(r.netrc);
      const token = loginToken(netrc);
      assertOk(token, netrc);
      assertEquals(
        netrc,
        OTHERS.replace(
          "  default",
          `machine 127.0.0.1 login alice password ${token}\n  default`,
        ),
      );
      assertEquals(
        await Deno.readTextFile(r.goenv),
        `GONOSUMDB=${MOD}\nGOPROXY=${r.url}/api/packages/alice/go\n`,
      );

      const dl = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, goEnv());
      assertEquals(dl.code, 0, dl.stderr + dl.stdout);
      assertEquals(JSON.parse(dl.stdout).Sum, v1.h1);

      const logout = await r.cli(["logout", r.url]);
      assertEquals(logout.code, 0, logout.stderr);
      assertEquals(await Deno.readTextFile(r.netrc), OTHERS);

      // The revoked token, put back by hand: the go command is refused with the reason.
      await Deno.writeTextFile(r.netrc, `machine 127.0.0.1 login alice password ${token}\n`);
      const refused = await go.run(
        ["mod", "download", "-json", `${MOD}@v1.0.0`],
        go.dir,
        goEnv({ GOMODCACHE: `${go.dir}/second-cache` }),
      );
      assertEquals(refused.code !== 0, true);
      assertIncludes(JSON.parse(refused.stdout).Error, "401 Unauthorized");

      // With the owner's checksum database: GOSUMDB is its verifier key, and the go command
      // checks the module against the owner's log (its signed head is cached in GOPATH).
      const enabled = await runCli(r.kvPath, ["sumdb", "enable", LOGIN_USER]);
      assertEquals(enabled.code, 0, enabled.stderr);
      const key = enabled.stdout.trim().split("\n").at(-1)!;
      await Deno.writeTextFile(r.netrc, OTHERS);
      await Deno.remove(r.goenv);
      const again = await r.cli(
        ["login", r.url, "--user", LOGIN_USER, "--password-stdin", "--apply"],
        { stdin: `${LOGIN_PASSWORD}\n` },
      );
      assertEquals(again.code, 0, again.stderr);
      assertEquals(
        await Deno.readTextFile(r.goenv),
        `GOPROXY=${r.url}/api/packages/alice/go\nGOSUMDB=${key}\n`,
      );
      const gopath = `${go.dir}/third`;
      const verified = await go.run(
        ["mod", "download", "-json", `${MOD}@v1.0.0`],
        go.dir,
        goEnv({ GOPATH: gopath, GOMODCACHE: `${gopath}/pkg/mod` }),
      );
      assertEquals(verified.code, 0, verified.stderr + verified.stdout);
      assertEquals(JSON.parse(verified.stdout).Sum, v1.h1);
      assertEquals((await cachedHead(gopath, logNameOf(key))).n >= 1, true);
    } finally {
      await go.cleanup();
      await r.close();
    }
  },
});
