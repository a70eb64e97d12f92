// Dependency confusion, with the real `go` command (issue 11): the upstream offers newer
// versions of a path the owner hosts (v1.9.9, which the `go` command takes when it asks the
// upstream directly, and v9.9.9), and a path matching the owner's private patterns that the
// owner never published. With GOPROXY = the owner only, the `go` command gets the hosted
// version or nothing, and the upstream sees no request at all for either path.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, type GoSandbox, goSandbox } from "./helpers/go.ts";
import {
  fetchBytes,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { moduleZip } from "./helpers/zip.ts";

const HOSTED = "corp.example.com/lib";
const PRIVATE = "secret.corp.example/tool";

/** A fresh consumer module in the sandbox; returns its directory. */
async function consumer(go: GoSandbox, name: string): Promise<string> {
  const dir = `${go.dir}/${name}`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/go.mod`, `module example.com/${name}\n\ngo 1.19\n`);
  return dir;
}

/** The version of `module` the consumer's go.mod requires, or `null`. */
async function required(dir: string, module: string): Promise<string | null> {
  const text = await Deno.readTextFile(`${dir}/go.mod`);
  return new RegExp(`\\b${module.replace(/\./g, "\\.")} (v\\S+)`).exec(text)?.[1] ?? null;
}

Deno.test({
  name:
    "go: a hosted path gets the hosted version only (no upstream v1.9.9/v9.9.9), a private pattern nothing, and the upstream is never asked",
  ignore: !goPrerequisites([]),
  async fn() {
    const up = await startCountingUpstream();
    const down = await startPullThroughServer({ upstream: up.goproxy });
    const go = await goSandbox(down.proxy("acme"));
    try {
      // The upstream: v1.0.0 and v1.9.9 of the hosted path (other content), v9.9.9 as a raw
      // answer (no modyard publishes a v9 of a path without /v9), and the private path.
      const evil = {
        "go.mod": `module ${HOSTED}\n`,
        "lib.go": 'package lib\n\nconst From = "upstream"\n',
      };
      await up.publish(HOSTED, "v1.0.0", evil);
      await up.publish(HOSTED, "v1.9.9", evil);
      const enc = new TextEncoder();
      up.overrides.set(`${HOSTED}/@v/list`, enc.encode("v1.0.0\nv1.9.9\nv9.9.9\n"));
      const v9 = `{"Version":"v9.9.9","Time":"2030-01-01T00:00:00Z"}`;
      up.overrides.set(`${HOSTED}/@v/v9.9.9.info`, enc.encode(v9));
      up.overrides.set(`${HOSTED}/@v/v9.9.9.mod`, enc.encode(`module ${HOSTED}\n`));
      up.overrides.set(
        `${HOSTED}/@v/v9.9.9.zip`,
        await moduleZip(HOSTED, "v9.9.9", {
          "go.mod": `module ${HOSTED}\n`,
          "lib.go": "package lib\n",
        }),
      );
      await up.publish(PRIVATE, "v1.0.0");

      // Control: asking the upstream directly, the go command takes the upstream's v1.9.9,
      // and for @latest even downloads v9.9.9 (then refuses it for its major version).
      // Its own module cache: what it downloads must not answer the runs through the owner.
      const direct = { GOPROXY: up.goproxy, GOMODCACHE: `${go.dir}/control-modcache` };
      const control = await consumer(go, "control");
      const pinned = await go.run(["get", `${HOSTED}@v1.9.9`], control, direct);
      assertEquals(pinned.code, 0, pinned.stderr);
      assertEquals(await required(control, HOSTED), "v1.9.9");
      const newest = await go.run(["get", `${HOSTED}@latest`], control, direct);
      assertIncludes(newest.stderr, `go: downloading ${HOSTED} v9.9.9`);
      const controlPrivate = await go.run(["get", `${PRIVATE}@v1.0.0`], control, direct);
      assertEquals(controlPrivate.code, 0, controlPrivate.stderr);
      up.counts.clear();

      // The owner hosts v1.0.0 and declares the private pattern.
      const auth = await down.owner("acme", { privatePaths: "*.corp.example" });
      const hosted = await moduleZip(HOSTED, "v1.0.0", {
        "go.mod": `module ${HOSTED}\n\ngo 1.19\n`,
        "lib.go": 'package lib\n\nconst From = "hosted"\n',
      });
      const res = await fetch(`${down.url}/api/packages/acme/go/upload`, {
        method: "PUT",
        body: hosted as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      assertEquals(res.status, 201, await res.text());

      const list = await fetchBytes(`${down.proxy("acme")}/${HOSTED}/@v/list`);
      assertEquals([list.status, list.text], [200, "v1.0.0\n"]);

      const work = await consumer(go, "consumer");
      for (const version of ["v9.9.9", "v1.9.9"]) {
        const r = await go.run(["get", `${HOSTED}@${version}`], work);
        assertEquals(r.code, 1, `go get ${HOSTED}@${version} succeeded:\n${r.stderr}`);
        assertIncludes(r.stderr, `${HOSTED}@${version}`);
        assertEquals(await required(work, HOSTED), null);
      }
      const latest = await go.run(["get", `${HOSTED}@latest`], work);
      assertEquals(latest.code, 0, latest.stderr);
      assertEquals(await required(work, HOSTED), "v1.0.0");
      const listed = await go.run(["list", "-m", "-json", HOSTED], work);
      assertEquals(listed.code, 0, listed.stderr);
      assertEquals(JSON.parse(listed.stdout).Version, "v1.0.0");
      // The hosted bytes, not the upstream's v1.0.0 of the same path.
      const dir = JSON.parse(listed.stdout).Dir as string;
      assertIncludes(await Deno.readTextFile(`${dir}/lib.go`), `"hosted"`);

      // The private pattern, never published by the owner: the go command gets nothing.
      for (const query of ["@v1.0.0", "@latest"]) {
        const r = await go.run(["get", `${PRIVATE}${query}`], work);
        assertEquals(r.code, 1, `go get ${PRIVATE}${query} succeeded:\n${r.stderr}`);
        assertIncludes(r.stderr, "404 Not Found");
      }
      assertEquals(await required(work, PRIVATE), null);

      // Not one request for either path reached the upstream, for any file.
      assertEquals(up.total(`${HOSTED}/`), 0, JSON.stringify([...up.counts]));
      assertEquals(up.total(`${PRIVATE}/`), 0, JSON.stringify([...up.counts]));
      assertEquals(up.total(), 0, JSON.stringify([...up.counts]));
    } finally {
      await go.cleanup();
      await down.close();
      await up.close();
    }
  },
});

// The go command resolves a package path by asking for every leading-element prefix as a
// module: `corp.example.com/lib/sub` may come from module `corp.example.com/lib/sub`,
// `corp.example.com/lib` or `corp.example.com`. So a module above or below a hosted path (or
// a private pattern) could serve the hosted path's packages from the upstream.
Deno.test({
  name:
    "go: modules above or below a hosted path or a private pattern are not taken from the upstream either",
  ignore: !goPrerequisites([]),
  async fn() {
    const up = await startCountingUpstream();
    const down = await startPullThroughServer({ upstream: up.goproxy });
    const go = await goSandbox(down.proxy("acme"));
    try {
      const pkg = (name: string) => `package ${name}\n\nconst From = "upstream"\n`;
      // Above the hosted path: `corp.example.com` v1.8.0 with a package lib/.
      await up.publish("corp.example.com", "v1.8.0", {
        "go.mod": "module corp.example.com\n",
        "lib/lib.go": pkg("lib"),
      });
      // Below it: a nested module `corp.example.com/lib/sub`.
      await up.publish(`${HOSTED}/sub`, "v1.0.0", {
        "go.mod": `module ${HOSTED}/sub\n`,
        "sub.go": pkg("sub"),
      });
      // Above the private pattern corp.example.org/internal: `corp.example.org` v1.0.0.
      await up.publish("corp.example.org", "v1.0.0", {
        "go.mod": "module corp.example.org\n",
        "internal/x/x.go": pkg("x"),
      });
      const attacks: [string, string][] = [
        [`${HOSTED}@v1.8.0`, "corp.example.com"],
        [`${HOSTED}/sub@latest`, `${HOSTED}/sub`],
        ["corp.example.org/internal/x@latest", "corp.example.org"],
      ];
      // Control: asking the upstream directly, the go command takes each of them.
      const direct = { GOPROXY: up.goproxy, GOMODCACHE: `${go.dir}/control-modcache` };
      for (const [query, module] of attacks) {
        const control = await consumer(go, `control${attacks.findIndex((a) => a[0] === query)}`);
        const r = await go.run(["get", query], control, direct);
        assertEquals(r.code, 0, r.stderr);
        assertOk((await required(control, module)) !== null, `${query}: ${r.stderr}`);
      }
      up.counts.clear();

      const auth = await down.owner("acme", { privatePaths: "corp.example.org/internal" });
      await down.publish("acme", auth, HOSTED, "v1.0.0");
      const work = await consumer(go, "consumer");
      for (const [query] of attacks) {
        const r = await go.run(["get", query], work);
        assertEquals(r.code, 1, `go get ${query} succeeded through the owner:\n${r.stderr}`);
      }
      const text = await Deno.readTextFile(`${work}/go.mod`);
      assertEquals(text, "module example.com/consumer\n\ngo 1.19\n");
      assertEquals(up.total(), 0, JSON.stringify([...up.counts]));
      // Not asked either: the private pattern's parent; asked: a path beside the hosted one.
      assertEquals(
        (await fetchBytes(`${down.proxy("acme")}/corp.example.org/@v/list`)).status,
        404,
      );
      assertEquals(up.total(), 0);
      const other = await fetchBytes(`${down.proxy("acme")}/corp.example.com/other/@v/list`);
      assertEquals(other.status, 404, other.text);
      assertEquals(up.total("corp.example.com/other/"), 1);
    } finally {
      await go.cleanup();
      await down.close();
      await up.close();
    }
  },
});
