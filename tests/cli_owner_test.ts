// The owner commands of the README's "Administration" section against a running server:
// `owner usage` reports what publishes and deletes did, `owner quota` makes an upload over it
// fail with 413 (and `default` lifts it), `pin clear` lets a deleted version take other content.
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { cliStore } from "./helpers/cli_store.ts";
import { basic } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

function upload(url: string, owner: string, zip: Uint8Array, auth: string): Promise<Response> {
  return fetch(`${url}/api/packages/${owner}/go/upload`, {
    method: "PUT",
    body: zip as Uint8Array<ArrayBuffer>,
    headers: { authorization: auth },
  });
}

async function send(res: Promise<Response>): Promise<[number, string]> {
  const r = await res;
  return [r.status, await r.text()];
}

function usage(bytes: number, versions: number, modules: number, quota: number | "default") {
  return `bytes\t${bytes}\nversions\t${versions}\nmodules\t${modules}\nquota\t${quota}`;
}

Deno.test("owner usage counts publishes and deletes; owner quota refuses an upload over it with 413, default lifts it", async () => {
  const s = await cliStore("modyard-quota-");
  try {
    await s.ok(["user", "create", "alice"]);
    const auth = basic("alice", await s.ok(["token", "create", "alice", "--scope", "write"]));
    const server = await s.serve();
    assertEquals(await s.ok(["owner", "usage", "alice"]), usage(0, 0, 0, "default"));

    const zips = [
      await moduleZip("example.com/a", "v1.0.0", { "go.mod": "module example.com/a\n" }),
      await moduleZip("example.com/a", "v1.1.0", {
        "go.mod": "module example.com/a\n",
        "a.go": "package a\n",
      }),
      await moduleZip("example.com/b", "v1.0.0", { "go.mod": "module example.com/b\n" }),
    ];
    for (const zip of zips) {
      const [status, text] = await send(upload(server.url, "alice", zip, auth));
      assertEquals(status, 201, text);
    }
    const used = zips.reduce((n, z) => n + z.length, 0);
    assertEquals(await s.ok(["owner", "usage", "alice"]), usage(used, 3, 2, "default"));

    // A quota that leaves room for exactly one more zip of `fits.length` bytes.
    const fits = await moduleZip("example.com/b", "v1.1.0", { "go.mod": "module example.com/b\n" });
    const big = await moduleZip("example.com/b", "v1.2.0", {
      "go.mod": "module example.com/b\n",
      "blob.bin": randomBytes(4000),
    });
    const quota = used + fits.length;
    assertEquals(
      await s.ok(["owner", "quota", "alice", String(quota)]),
      `quota of alice is now ${quota}`,
    );
    assertEquals(await s.ok(["owner", "usage", "alice"]), usage(used, 3, 2, quota));
    const [refused, reason] = await send(upload(server.url, "alice", big, auth));
    assertEquals(refused, 413, reason);
    assertIncludes(
      reason,
      `${used} bytes used + ${big.length} bytes of this upload > quota of ${quota} bytes`,
    );
    assertEquals(await s.ok(["owner", "usage", "alice"]), usage(used, 3, 2, quota)); // unchanged
    // Up to the quota exactly is allowed.
    assertEquals((await send(upload(server.url, "alice", fits, auth)))[0], 201);
    assertEquals(await s.ok(["owner", "usage", "alice"]), usage(quota, 4, 2, quota));

    // A delete gives the bytes back.
    const del = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent("example.com/a")}/v1.0.0`,
      { method: "DELETE", headers: { authorization: auth } },
    );
    assertEquals(del.status, 204);
    assertEquals(
      await s.ok(["owner", "usage", "alice"]),
      usage(quota - zips[0].length, 3, 2, quota),
    );

    assertEquals(
      await s.ok(["owner", "quota", "alice", "default"]),
      "quota of alice is now default",
    );
    assertEquals((await send(upload(server.url, "alice", big, auth)))[0], 201);
    assertEquals(
      await s.ok(["owner", "usage", "alice"]),
      usage(quota - zips[0].length + big.length, 4, 2, "default"),
    );

    const audit = await s.ok(["audit", "--limit", "20"]);
    assertMatch(audit, new RegExp(`\\tcli\\tcli\\tquota\\.change\\talice quota=${quota}\\n`));
    assertMatch(audit, /\tcli\tcli\tquota\.change\talice quota=default\n/);

    const cases: [string[], number, string][] = [
      [["owner", "quota", "alice", "12k"], 2, "quota must be a number of bytes or default"],
      [["owner", "quota", "alice", "-1"], 2, "quota must be a number of bytes or default"],
      [["owner", "quota", "alice"], 2, "missing quota in bytes, or default"],
      [["owner", "quota", "ghost", "100"], 1, 'no user "ghost"'],
      // A typo must not look like an empty owner.
      [["owner", "usage", "ghost"], 1, 'no user "ghost"'],
    ];
    for (const [args, code, reason] of cases) {
      const out = await s.cli(args);
      assertEquals([out.code, out.stdout], [code, ""], `${args.join(" ")}: ${out.stderr}`);
      assertIncludes(out.stderr, reason);
      assertEquals(out.stderr.includes("    at "), false, out.stderr);
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("pin clear: after a delete other content gets 409; after `pin clear` (audited) it is accepted and served", async () => {
  const s = await cliStore("modyard-pin-");
  try {
    await s.ok(["user", "create", "alice"]);
    const auth = basic("alice", await s.ok(["token", "create", "alice", "--scope", "write"]));
    const server = await s.serve();
    const mod = "example.com/pin";
    const original = await moduleZip(mod, "v1.0.0", {
      "go.mod": `module ${mod}\n`,
      "pin.go": "package pin\n",
    });
    const other = await moduleZip(mod, "v1.0.0", {
      "go.mod": `module ${mod}\n`,
      "pin.go": "package pin // other content\n",
    });
    const first = await upload(server.url, "alice", original, auth);
    assertEquals(first.status, 201);
    const pinned = (await first.json()).h1 as string;
    const zipUrl = `${server.url}/api/packages/alice/go/${mod}/@v/v1.0.0.zip`;

    // While published, the pin cannot be cleared.
    const live = await s.cli(["pin", "clear", "alice", mod, "v1.0.0"]);
    assertEquals(live.code, 1);
    assertIncludes(
      live.stderr,
      `alice/${mod}@v1.0.0 is published; delete it before lifting its pin`,
    );

    const del = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(mod)}/v1.0.0`,
      { method: "DELETE", headers: { authorization: auth } },
    );
    assertEquals(del.status, 204);
    const [conflict, why] = await send(upload(server.url, "alice", other, auth));
    assertEquals(conflict, 409, why);
    assertIncludes(why, pinned);

    assertEquals(
      await s.ok(["pin", "clear", "alice", mod, "v1.0.0"]),
      `pin of alice/${mod}@v1.0.0 (${pinned}) cleared`,
    );
    const [accepted, reply] = await send(upload(server.url, "alice", other, auth));
    assertEquals(accepted, 201, reply);
    assertOk(JSON.parse(reply).h1 !== pinned);
    const served = await fetch(zipUrl);
    assertEquals(served.status, 200);
    assertEquals(new Uint8Array(await served.arrayBuffer()), other);

    const audit = await s.ok(["audit", "--limit", "5"]);
    // time, actor, client address, action, target and the lifted hash
    assertIncludes(audit, `\tcli\tcli\tpin.clear\talice/${mod}@v1.0.0 h1=${pinned}\n`);

    // No pin to clear, a missing argument, a path too long for a key: reasons, not traces.
    const cases: [string[], number, string][] = [
      [["pin", "clear", "alice", mod, "v9.9.9"], 1, `alice/${mod}@v9.9.9 has no pin`],
      [["pin", "clear", "alice", mod], 2, "missing version"],
      [["pin", "clear", "alice", "x".repeat(3000), "v1.0.0"], 1, "has no pin"],
    ];
    for (const [args, code, reason] of cases) {
      const out = await s.cli(args);
      assertEquals(out.code, code, `${args.join(" ").slice(0, 80)}: ${out.stderr}`);
      assertIncludes(out.stderr, reason);
      assertEquals(out.stderr.includes("    at "), false, out.stderr);
    }
  } finally {
    await s.cleanup();
  }
});
