/**
 * "Use it with the go command" on owner and module pages: the exact GOPROXY line; for a
 * private owner the `.netrc` line and GONOSUMDB naming the module, never GOPRIVATE; with the
 * owner's own checksum log, GOSUMDB set to its verifier key and no GONOSUMDB advice.
 */

import { createToken, createUser } from "../src/registry/accounts.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";
import { getPage, signIn, textOf } from "./helpers/web_pages.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "corp.example/tool";

Deno.test("web go setup: a private owner's pages give GOPROXY, the .netrc line and GONOSUMDB", async () => {
  const s = await startTestServer({ baseUrl: "https://registry.example" });
  try {
    await createUser(s.kv, "corp", { visibility: "private" });
    const { token } = await createToken(s.kv, "corp", { scope: "write" });
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals((await s.upload("corp", zip, basic("corp", token))).status, 201);
    const cookie = await signIn(s.url, "", token);
    const html = (await getPage(s.url, `/corp/${MOD}`, cookie)).html;
    assertIncludes(
      html,
      "<code>go env -w GOPROXY=https://registry.example/api/packages/corp/go</code>",
    );
    const module = textOf(html);
    assertIncludes(module, "machine registry.example login corp password TOKEN");
    assertIncludes(module, `go env -w GONOSUMDB=${MOD}`);
    assertOk(!module.includes("GOPRIVATE="), "never GOPRIVATE");
    assertOk(!module.includes("GOSUMDB="), "no log, no GOSUMDB");
    const owner = textOf((await getPage(s.url, "/corp", cookie)).html);
    assertIncludes(owner, "go env -w GOPROXY=https://registry.example/api/packages/corp/go");
    assertIncludes(owner, "machine registry.example login corp password TOKEN");
  } finally {
    await s.close();
  }
});

Deno.test("web go setup: with the owner's checksum log, GOSUMDB is its key and GONOSUMDB stays empty", async () => {
  const s = await startTestServer({ baseUrl: "https://registry.example" });
  try {
    await createUser(s.kv, "corp", { visibility: "private" });
    const { token } = await createToken(s.kv, "corp", { scope: "write" });
    const meta = await enableLog(s.kv, "corp", { baseUrl: "https://registry.example" });
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals((await s.upload("corp", zip, basic("corp", token))).status, 201);
    const cookie = await signIn(s.url, "", token);
    for (const path of ["/corp", `/corp/${MOD}`]) {
      const text = textOf((await getPage(s.url, path, cookie)).html);
      assertIncludes(text, `go env -w GOSUMDB=${meta.verifierKey}`, path);
      assertOk(!text.includes("GONOSUMDB="), path);
      assertOk(!text.includes("GOPRIVATE="), path);
      assertIncludes(text, "machine registry.example login corp password TOKEN", path);
    }
  } finally {
    await s.close();
  }
});

Deno.test("web go setup: a public owner's module page gives the GOPROXY line only", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("alice");
    const zip = await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" });
    assertEquals((await s.upload("alice", zip, auth)).status, 201);
    const text = textOf((await getPage(s.url, "/alice/example.com/m")).html);
    assertIncludes(text, `go env -w GOPROXY=${s.url}/api/packages/alice/go`);
    assertOk(!text.includes(".netrc") && !text.includes("GONOSUMDB="), text);
  } finally {
    await s.close();
  }
});
