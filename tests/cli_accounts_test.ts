// The account commands of the README's "Administration" section, run as an operator runs them
// (`main.ts … --kv STORE` beside a running `main.ts serve`), with their effect observed over
// HTTP: user list, user passwd, org create, org member add|remove, token create --expires.
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { type CliStore, cliStore } from "./helpers/cli_store.ts";
import { basic, eventually } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TOKEN = /^myd_[0-9a-f]{40}$/;
const DAY_MS = 86_400_000;

function upload(url: string, owner: string, zip: Uint8Array, auth: string): Promise<Response> {
  return fetch(`${url}/api/packages/${owner}/go/upload`, {
    method: "PUT",
    body: zip as Uint8Array<ArrayBuffer>,
    headers: { authorization: auth },
  });
}

/** Status and body of a GET (body always consumed). */
async function get(url: string, auth?: string): Promise<[number, string]> {
  const res = await fetch(url, { headers: auth ? { authorization: auth } : {} });
  return [res.status, await res.text()];
}

/** The tab-separated rows a listing command prints (trailing empty fields kept). */
async function rows(s: CliStore, args: string[]): Promise<string[][]> {
  const out = await s.cli(args);
  assertEquals(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
  return out.stdout.split("\n").filter((line) => line !== "").map((line) => line.split("\t"));
}

function noStackTrace(stderr: string): void {
  assertEquals(stderr.includes("    at "), false, `stack trace printed: ${stderr}`);
}

Deno.test("user list: every account by name, with its kind, visibility and creation time; deleted ones marked", async () => {
  const s = await cliStore("modyard-users-");
  try {
    const start = Date.now();
    await s.ok(["user", "create", "alice"]);
    assertEquals(await s.ok(["user", "create", "root", "--admin"]), "created admin user root");
    await s.ok(["user", "create", "corp", "--private"]);
    await s.ok(["org", "create", "acme", "--owner", "alice", "--private"]);
    await s.ok(["user", "create", "gone"]);
    await s.ok(["user", "delete", "gone"]);
    const end = Date.now();

    const users = await rows(s, ["user", "list"]);
    assertEquals(users.map((r) => r.slice(0, 3)), [
      ["acme", "org", "private"],
      ["alice", "user", "public"],
      ["corp", "user", "private"],
      ["gone", "user", "public"],
      ["root", "admin", "public"],
    ]);
    for (const row of users) {
      assertEquals(row.length, 4, row.join("|"));
      const time = row[3].replace(/^deleted /, "");
      assertMatch(time, ISO);
      const t = Date.parse(time);
      assertOk(t >= start - 1000 && t <= end + 1000, `${row[0]}: ${time} not during the test`);
    }
    assertEquals(users.map((r) => r[3].startsWith("deleted ")), [false, false, false, true, false]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("user passwd: the new password logs in over HTTP, the old one is refused", async () => {
  const s = await cliStore("modyard-passwd-");
  try {
    await s.ok(["user", "create", "alice", "--private", "--password-stdin"], "first-password\n");
    const server = await s.serve();
    const first = basic("alice", "first-password");
    const second = basic("alice", "second-password");
    const mod = "example.com/pw";
    const res = await upload(
      server.url,
      "alice",
      await moduleZip(mod, "v1.0.0", { "go.mod": `module ${mod}\n` }),
      first,
    );
    assertEquals(res.status, 201, await res.clone().text());
    await res.body?.cancel();
    const list = `${server.url}/api/packages/alice/go/${mod}/@v/list`;
    assertEquals(await get(list, first), [200, "v1.0.0\n"]);
    assertEquals((await get(list, second))[0], 401);

    assertEquals(
      await s.ok(["user", "passwd", "alice", "--password-stdin"], "second-password\n"),
      "password set",
    );
    // The running server sees the change within a second (poll the new password only, so the
    // old one is tried once and the failure throttle is not involved).
    assertOk(await eventually(async () => (await get(list, second))[0] === 200, 3000));
    assertEquals(await get(list, second), [200, "v1.0.0\n"]);
    const old = await get(list, first);
    assertEquals(old[0], 401, old[1]);

    // Refusals: a short password, no --password-stdin, an unknown user.
    const short = await s.cli(["user", "passwd", "alice", "--password-stdin"], "short\n");
    assertEquals(short.code, 1);
    assertIncludes(short.stderr, "password must have at least 8 characters");
    const noStdin = await s.cli(["user", "passwd", "alice"]);
    assertEquals(noStdin.code, 2);
    assertIncludes(noStdin.stderr, "user passwd needs --password-stdin");
    const ghost = await s.cli(["user", "passwd", "ghost", "--password-stdin"], "long-enough-1\n");
    assertEquals(ghost.code, 1);
    assertIncludes(ghost.stderr, '"ghost"');
    for (const out of [short, noStdin, ghost]) noStackTrace(out.stderr);
    // The refused changes left the password as it was.
    assertEquals((await get(list, second))[0], 200);
  } finally {
    await s.cleanup();
  }
});

Deno.test("org create and org member add|remove: members read (role read) or publish (role write) a private org; a removed member cannot", async () => {
  const s = await cliStore("modyard-org-");
  try {
    for (const name of ["alice", "bob", "carol", "dave"]) await s.ok(["user", "create", name]);
    const auth: Record<string, string> = {};
    for (const name of ["alice", "bob", "carol", "dave"]) {
      // Write-scoped tokens for everyone: a refusal below comes from the role, not the token.
      auth[name] = basic(name, await s.ok(["token", "create", name, "--scope", "write"]));
    }
    assertEquals(
      await s.ok(["org", "create", "corp", "--owner", "alice", "--private"]),
      "created organisation corp owned by alice",
    );
    const server = await s.serve();
    const mod = "corp.example.com/lib";
    const zip = (v: string) => moduleZip(mod, v, { "go.mod": `module ${mod}\n` });
    const list = `${server.url}/api/packages/corp/go/${mod}/@v/list`;
    const publish = async (who: string, v: string) => {
      const res = await upload(server.url, "corp", await zip(v), auth[who]);
      await res.body?.cancel();
      return res.status;
    };

    assertEquals(await publish("alice", "v1.0.0"), 201); // the org's owner
    assertEquals((await get(list))[0], 401); // private: anonymous readers
    assertEquals([(await get(list, auth.bob))[0], await publish("bob", "v1.1.0")], [403, 403]);

    assertEquals(
      await s.ok(["org", "member", "add", "corp", "bob", "--role", "write"]),
      "bob is now write in corp",
    );
    assertOk(await eventually(async () => (await get(list, auth.bob))[0] === 200, 3000));
    assertEquals(await publish("bob", "v1.1.0"), 201);
    assertEquals(await get(list, auth.bob), [200, "v1.0.0\nv1.1.0\n"]);

    // The default role is read: reading, not publishing.
    assertEquals(
      await s.ok(["org", "member", "add", "corp", "carol"]),
      "carol is now read in corp",
    );
    assertOk(await eventually(async () => (await get(list, auth.carol))[0] === 200, 3000));
    assertEquals(await get(list, auth.carol), [200, "v1.0.0\nv1.1.0\n"]);
    assertEquals(await publish("carol", "v1.2.0"), 403);

    assertEquals(await s.ok(["org", "member", "remove", "corp", "bob"]), "bob removed from corp");
    assertOk(await eventually(async () => (await get(list, auth.bob))[0] === 403, 3000));
    assertEquals(await publish("bob", "v1.2.0"), 403);
    assertEquals((await get(list, auth.dave))[0], 403); // never a member
    assertEquals(await get(list, auth.carol), [200, "v1.0.0\nv1.1.0\n"]); // carol unaffected

    // Refusals with a reason and exit 1 (rejected by the rules) or 2 (malformed command).
    const cases: [string[], number, string][] = [
      [["org", "member", "remove", "corp", "dave"], 1, "dave is not a member of corp"],
      [
        ["org", "member", "add", "corp", "dave", "--role", "admin"],
        2,
        "--role must be read, write or owner",
      ],
      [["org", "member", "add", "alice", "dave"], 1, "alice is not an organisation"],
      [["org", "member", "add", "corp", "ghost"], 1, '"ghost"'],
      [["org", "member", "frob", "corp", "dave"], 2, "org member add|remove ORG USER"],
      [["org", "create", "other"], 2, "org create needs --owner USER"],
      [["org", "create", "other", "--owner", "ghost"], 1, '"ghost"'],
      [["org", "create", "corp", "--owner", "alice"], 1, "corp"],
    ];
    for (const [args, code, reason] of cases) {
      const out = await s.cli(args);
      assertEquals(out.code, code, `${args.join(" ")}: ${out.stderr}`);
      assertIncludes(out.stderr, reason);
      noStackTrace(out.stderr);
    }
    assertEquals((await get(list, auth.dave))[0], 403); // the refused add changed nothing

    const audit = await s.ok(["audit", "--limit", "10"]);
    assertMatch(audit, /\tcli\tcli\tmember\.remove\tcorp user=bob\n/);
    assertMatch(audit, /\tcli\tcli\tmember\.set\tcorp user=carol role=read\n/);
    assertMatch(audit, /\tcli\tcli\tmember\.set\tcorp user=bob role=write\n/);
  } finally {
    await s.cleanup();
  }
});

Deno.test("token create --expires: listed with its expiry (30d is 30 days out); an expired token is refused over HTTP", async () => {
  const s = await cliStore("modyard-expiry-");
  try {
    await s.ok(["user", "create", "alice", "--private"]);
    const writer = await s.ok(["token", "create", "alice", "--scope", "write"]);
    const before = Date.now();
    const monthly = await s.ok(["token", "create", "alice", "--expires", "30d", "--label", "ci"]);
    const after = Date.now();
    for (const t of [writer, monthly]) assertMatch(t, TOKEN); // only the token is printed

    const tokens = await rows(s, ["token", "list", "alice"]);
    assertEquals(tokens.map((r) => r.length), [4, 4]);
    const ci = tokens.find((r) => r[3] === "ci");
    const plain = tokens.find((r) => r[3] === "");
    assertOk(ci && plain, JSON.stringify(tokens));
    assertMatch(ci[0], /^[0-9a-f]{12}$/);
    assertEquals([ci[1], plain[1], plain[2]], ["read", "write", "never"]);
    assertMatch(ci[2], ISO);
    const expiry = Date.parse(ci[2]);
    assertOk(
      expiry >= before + 30 * DAY_MS && expiry <= after + 30 * DAY_MS,
      `expiry ${ci[2]} is not 30 days after ${new Date(before).toISOString()}`,
    );

    const server = await s.serve();
    const mod = "example.com/exp";
    const res = await upload(
      server.url,
      "alice",
      await moduleZip(mod, "v1.0.0", { "go.mod": `module ${mod}\n` }),
      basic("alice", writer),
    );
    assertEquals(res.status, 201);
    await res.body?.cancel();
    const list = `${server.url}/api/packages/alice/go/${mod}/@v/list`;
    assertEquals(await get(list, basic("alice", monthly)), [200, "v1.0.0\n"]);

    // A token that expires in 6 seconds works until then, and is refused afterwards.
    const t0 = Date.now();
    const brief = await s.ok(["token", "create", "alice", "--expires", "6s"]);
    const created = Date.now();
    assertEquals(await get(list, basic("alice", brief)), [200, "v1.0.0\n"]);
    const briefRow = (await rows(s, ["token", "list", "alice"])).find((r) =>
      r[2] !== "never" && Date.parse(r[2]) < after + DAY_MS
    );
    assertOk(briefRow, "the 6s token is listed with its expiry");
    const briefExpiry = Date.parse(briefRow[2]);
    assertOk(briefExpiry >= t0 + 6000 && briefExpiry <= created + 6000, briefRow[2]);
    await new Promise((r) => setTimeout(r, Math.max(0, briefExpiry - Date.now()) + 200));
    const expired = await get(list, basic("alice", brief));
    assertEquals(expired[0], 401, expired[1]);
    assertEquals((await get(list, basic("alice", monthly)))[0], 200); // others unaffected

    // Malformed or absurd expiries are refused with the reason, never a stack trace.
    for (const bad of ["30", "0d", "1w", "-1d", "1.5d", "99999999999999d", "3651d"]) {
      const out = await s.cli(["token", "create", "alice", "--expires", bad]);
      assertEquals(out.code, 2, `--expires ${bad}: ${out.stderr}`);
      assertIncludes(out.stderr, "--expires");
      assertEquals(out.stdout, "");
      noStackTrace(out.stderr);
    }
    assertEquals((await rows(s, ["token", "list", "alice"])).length, 3);
  } finally {
    await s.cleanup();
  }
});
