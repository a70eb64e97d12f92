// `login URL` and `logout URL` against a registry served over HTTPS: the token they create
// and revoke, the .netrc they write (0600 on creation, one host's entry replaced, every other
// byte kept), the go settings they print and apply (`go env -w` into a sandboxed GOENV only
// with --apply), and their refusals with exit codes.
import { goPrerequisites } from "./helpers/go.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import {
  LOGIN_PASSWORD,
  LOGIN_USER,
  loginToken,
  startLoginRegistry,
  tokenWorks,
} from "./helpers/login_env.ts";
import { basic, MAIN_TS, runCli } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/hello";

/** Files beside the .netrc: a failed or finished write must leave no temporary file. */
async function siblings(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test({
  name: "login and logout over HTTPS: token, .netrc, go settings, refusals",
  ignore: !goPrerequisites([]),
  async fn(t) {
    const r = await startLoginRegistry();
    const login = (extra: string[] = [], stdin = `${LOGIN_PASSWORD}\n`, env = {}) =>
      r.cli(["login", r.url, "--user", LOGIN_USER, "--password-stdin", ...extra], { stdin, env });
    const home = r.conf;
    try {
      const writer = await r.token("write");
      const up = await r.fetch(`/api/packages/${LOGIN_USER}/go/upload`, {
        method: "PUT",
        body: await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }) as Uint8Array<
          ArrayBuffer
        >,
        headers: { authorization: basic(LOGIN_USER, writer) },
      });
      assertEquals(up.status, 201, await up.text());

      await t.step(
        "a new .netrc is created with mode 0600 and the settings are printed",
        async () => {
          const out = await login();
          assertEquals(out.code, 0, out.stderr);
          const text = await Deno.readTextFile(r.netrc);
          const token = loginToken(text);
          assertOk(token, text);
          assertEquals(text, `machine 127.0.0.1 login alice password ${token}\n`);
          assertEquals((await Deno.stat(r.netrc)).mode! & 0o777, 0o600);
          assertEquals(
            out.stdout,
            `# the go command's settings for alice:\n` +
              `go env -w GOPROXY=${r.url}/api/packages/alice/go\n` +
              `go env -w GONOSUMDB=${MOD}\n` +
              `# publish a module (credentials from ${r.netrc}):\n` +
              `deno task cli publish . --url ${r.url} --owner alice\n`,
          );
          assertIncludes(out.stderr, "(created, mode 0600)");
          assertIncludes(out.stderr, "not applied: run the go env -w lines above");
          // Nothing applied without --apply: the go env file was never written.
          assertEquals(await siblings(home), ["netrc"]);
          // The token is a write token, labelled for this machine and day.
          const list = await r.fetch("/api/v1/user/tokens", {
            headers: { authorization: basic(LOGIN_USER, token) },
          });
          const tokens = await list.json() as { scope: string; label: string }[];
          assertEquals(list.status, 200);
          const mine = tokens.find((x) => x.label.startsWith("login "));
          assertEquals(mine?.scope, "write");
          assertMatch(mine!.label, /^login \S+ \d{4}-\d{2}-\d{2}$/);
          assertEquals(mine!.label.endsWith(new Date().toISOString().slice(0, 10)), true);
        },
      );

      const others = "# personal\n" +
        "machine git.example.com\n\tlogin bob\n\tpassword s3cret   \n\n" +
        "machine   127.0.0.1 login alice password myd_0000stale\n" +
        "machine other.example.com login carol password x # trailing words\r\n" +
        "macdef init\nmachine 127.0.0.1 login macro password body\n\n" +
        "   default login anonymous password guest@example.com\n";

      await t.step(
        "an existing entry for the host is replaced; every other byte is kept",
        async () => {
          await Deno.writeTextFile(r.netrc, others);
          await Deno.chmod(r.netrc, 0o640);
          const out = await login();
          assertEquals(out.code, 0, out.stderr);
          const text = await Deno.readTextFile(r.netrc);
          const token = loginToken(text)!;
          assertEquals(
            text,
            others.replace(
              "machine   127.0.0.1 login alice password myd_0000stale\n",
              `machine 127.0.0.1 login alice password ${token}\n`,
            ),
          );
          // An existing file keeps its mode, with a warning that others can read it.
          assertEquals((await Deno.stat(r.netrc)).mode! & 0o777, 0o640);
          assertIncludes(out.stderr, `warning: ${r.netrc} can be read by other users`);
          assertIncludes(out.stderr, `note: the token alice had in ${r.netrc} before was replaced`);
          assertEquals(await tokenWorks(r, token), true);

          const bye = await r.cli(["logout", r.url]);
          assertEquals(bye.code, 0, bye.stderr);
          assertIncludes(bye.stderr, "token revoked; removed the entry for 127.0.0.1");
          assertEquals(
            await Deno.readTextFile(r.netrc),
            others.replace("machine   127.0.0.1 login alice password myd_0000stale\n", ""),
          );
          assertEquals(await tokenWorks(r, token), false);
          assertEquals(await siblings(home), ["netrc"]);
        },
      );

      await t.step(
        "a wrong password: exit 1 with the server's reason, .netrc unchanged",
        async () => {
          await Deno.writeTextFile(r.netrc, others);
          const before = await Deno.stat(r.netrc);
          const out = await login([], "wrong password\n");
          assertEquals(out.code, 1);
          assertEquals(
            out.stderr,
            `error: ${
              new URL(r.url).host
            } refused to create a token: 401 Unauthorized: invalid credentials\n`,
          );
          assertEquals(out.stdout, "");
          assertEquals(await Deno.readTextFile(r.netrc), others);
          assertEquals((await Deno.stat(r.netrc)).mtime, before.mtime);
          assertEquals(await siblings(home), ["netrc"]);
        },
      );

      await t.step(
        "an owner it cannot read: exit 1, new token revoked, .netrc unchanged",
        async () => {
          const count = async () => {
            const res = await r.fetch("/api/v1/user/tokens", {
              headers: { authorization: basic(LOGIN_USER, writer) },
            });
            return (await res.json() as unknown[]).length;
          };
          const tokensBefore = await count();
          const out = await login(["--owner", "nosuch"]);
          assertEquals(out.code, 1);
          assertEquals(
            out.stderr,
            `error: cannot list nosuch's modules: 404 Not Found: owner "nosuch" not found ` +
              `(the new token was revoked; ${r.netrc} is unchanged)\n`,
          );
          assertEquals(out.stdout, "");
          assertEquals(await Deno.readTextFile(r.netrc), others);
          assertEquals(await count(), tokensBefore);
        },
      );

      await t.step("--apply writes the settings with go env -w into GOENV", async () => {
        await Deno.remove(r.netrc);
        const out = await login(["--apply"]);
        assertEquals(out.code, 0, out.stderr);
        assertIncludes(out.stderr, "applied: GOPROXY, GONOSUMDB (go env -w)");
        assertEquals(
          await Deno.readTextFile(r.goenv),
          `GONOSUMDB=${MOD}\nGOPROXY=${r.url}/api/packages/alice/go\n`,
        );
        // Applied already: a second login has nothing to change.
        const again = await login(["--apply"]);
        assertEquals(again.code, 0, again.stderr);
        assertIncludes(again.stderr, "the go command already has these settings");
        await Deno.remove(r.goenv);
      });

      await t.step(
        "GOPRIVATE covering the owner's paths is named, GONOPROXY=none suggested",
        async () => {
          const out = await login([], undefined, {
            GOPRIVATE: "example.com",
            GONOSUMDB: "",
          });
          assertEquals(out.code, 0, out.stderr);
          assertIncludes(
            out.stderr,
            `note: GOPRIVATE=example.com covers ${MOD}: the go command fetches those straight from version control, not from this registry. To use the registry for them: go env -w GONOPROXY=none`,
          );
          // GONOSUMDB already covers the module through GOPRIVATE: only GOPROXY is printed.
          assertEquals(out.stdout.includes("GONOSUMDB"), false);
          assertEquals(out.stdout.includes("GOPRIVATE="), false);
          // An existing GONOSUMDB keeps its patterns; the owner's paths are added.
          const merged = await login([], undefined, { GONOSUMDB: "corp.example.com" });
          assertIncludes(merged.stdout, `go env -w GONOSUMDB=corp.example.com,${MOD}\n`);
        },
      );

      await t.step(
        "an owner with a checksum database gets GOSUMDB = its verifier key",
        async () => {
          const enabled = await runCli(r.kvPath, ["sumdb", "enable", LOGIN_USER]);
          assertEquals(enabled.code, 0, enabled.stderr);
          const key = enabled.stdout.trim().split("\n").at(-1)!;
          const out = await login();
          assertEquals(out.code, 0, out.stderr);
          assertIncludes(
            out.stdout,
            `go env -w GOPROXY=${r.url}/api/packages/alice/go\ngo env -w GOSUMDB=${key}\n`,
          );
          assertEquals(out.stdout.includes("GONOSUMDB"), false);
        },
      );

      await t.step("--scope read creates a read token and says publish needs another", async () => {
        const out = await login(["--scope", "read", "--owner", "alice"]);
        assertEquals(out.code, 0, out.stderr);
        assertIncludes(out.stdout, "publish needs a write token");
        const token = loginToken(await Deno.readTextFile(r.netrc))!;
        const upload = await r.fetch(`/api/packages/alice/go/upload`, {
          method: "PUT",
          body: await moduleZip(MOD, "v1.0.1", { "go.mod": `module ${MOD}\n` }) as Uint8Array<
            ArrayBuffer
          >,
          headers: { authorization: basic(LOGIN_USER, token) },
        });
        assertEquals(upload.status, 403, await upload.text());
        // A read token may still revoke itself.
        const bye = await r.cli(["logout", r.url]);
        assertEquals(bye.code, 0, bye.stderr);
        assertEquals(await tokenWorks(r, token), false);
      });

      await t.step("logout: already revoked → 0; no entry → 1; password entry → 0", async () => {
        await login();
        const token = loginToken(await Deno.readTextFile(r.netrc))!;
        const revoked = await r.fetch("/api/v1/user/tokens/current", {
          method: "DELETE",
          headers: { authorization: basic(LOGIN_USER, token) },
        });
        assertEquals(revoked.status, 204);
        const out = await r.cli(["logout", r.url]);
        assertEquals(out.code, 0, out.stderr);
        assertIncludes(out.stderr, "the token was already revoked or expired; removed the entry");
        assertEquals(await Deno.readTextFile(r.netrc), "");

        const none = await r.cli(["logout", r.url]);
        assertEquals(none.code, 1);
        assertIncludes(none.stderr, `error: ${r.netrc} has no entry for 127.0.0.1`);

        await Deno.writeTextFile(r.netrc, "machine 127.0.0.1 login alice password hunter2\n");
        const pw = await r.cli(["logout", r.url]);
        assertEquals(pw.code, 0, pw.stderr);
        assertIncludes(pw.stderr, "the entry held a password, not a token: nothing revoked");
        assertEquals(await Deno.readTextFile(r.netrc), "");
      });

      await t.step("usage: no --user or no --password-stdin off a terminal → exit 2", async () => {
        const noUser = await r.cli(["login", r.url, "--password-stdin"], { stdin: "x\n" });
        assertEquals(noUser.code, 2);
        assertIncludes(noUser.stderr, "give --user NAME");
        const noPassword = await r.cli(["login", r.url, "--user", LOGIN_USER]);
        assertEquals(noPassword.code, 2);
        assertIncludes(noPassword.stderr, "give --password-stdin");
        const noUrl = await r.cli(["login"]);
        assertEquals(noUrl.code, 2);
      });

      await t.step(
        "with the cli task's own permissions: no prompt, go run only if allowed",
        async () => {
          const tasks = JSON.parse(
            await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
          )
            .tasks as Record<string, string>;
          const flags = tasks.cli.split(/\s+/).filter((a) =>
            a.startsWith("--allow-") || a === "-A"
          );
          const out = await new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              ...flags,
              MAIN_TS,
              "login",
              r.url,
              "--user",
              LOGIN_USER,
              "--password-stdin",
              "--apply",
            ],
            env: r.env(),
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
            signal: AbortSignal.timeout(60_000),
          }).spawn();
          const w = out.stdin.getWriter();
          await w.write(new TextEncoder().encode(`${LOGIN_PASSWORD}\n`));
          await w.close();
          const done = await out.output();
          const stderr = new TextDecoder().decode(done.stderr);
          assertEquals(done.code, 0, stderr);
          assertOk(loginToken(await Deno.readTextFile(r.netrc)));
          const mayRunGo = flags.includes("-A") || flags.includes("--allow-run") ||
            flags.some((f) => /^--allow-run=(.*,)?go(,|$)/.test(f));
          if (mayRunGo) {
            assertIncludes(stderr, "applied: GOPROXY");
          } else {
            assertIncludes(
              stderr,
              "note: settings not applied: running the go command is not permitted (deno run --allow-run=go)",
            );
            assertEquals(await Deno.stat(r.goenv).then(() => true, () => false), false);
          }
          await Deno.remove(r.goenv).catch(() => {});
        },
      );

      await t.step("logout with the server unreachable: entry removed anyway, exit 3", async () => {
        await Deno.writeTextFile(r.netrc, others);
        await login();
        const token = loginToken(await Deno.readTextFile(r.netrc))!;
        await r.server.stop();
        const out = await r.cli(["logout", r.url]);
        assertEquals(out.code, 3, out.stderr);
        assertIncludes(out.stderr, "warning: could not revoke the token (cannot reach 127.0.0.1:");
        assertIncludes(out.stderr, "It may still be valid");
        assertEquals(
          await Deno.readTextFile(r.netrc),
          others.replace("machine   127.0.0.1 login alice password myd_0000stale\n", ""),
        );
        assertOk(token);
      });
    } finally {
      await r.close().catch(() => {});
    }
  },
});
