// Whatever arrives over HTTP — odd paths, methods, credentials, bodies — gets an answer:
// never a 5xx, never a dropped connection, always the status class its kind of request
// calls for, and every refusal carries a reason (text/plain, or JSON under /api/v1/).
// Seeded (MODYARD_FUZZ_SEED or MODYARD_TEST_SEED; fixed default); the seed is printed on
// failure.
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";
import { basic, startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const REQUESTS = 1500;

/** One generated request and what its kind allows. */
interface Probe {
  kind: string;
  method: string;
  path: string;
  auth?: string;
  body?: string;
  /** Statuses this kind of request may get. */
  statuses: number[];
}

const PIECES = [
  "alice",
  "root",
  "nobody",
  "Alice",
  "..",
  ".",
  "%2e%2e",
  "%2F",
  "%ZZ",
  "%00",
  "@v",
  "@latest",
  "list",
  "v1.0.0.info",
  "v1.0.0.mod",
  "v1.0.0.zip",
  "latest.zip",
  "v1.0.0",
  "example.com",
  "m",
  "!m",
  "!!",
  "~",
  "x".repeat(300),
  "é",
  "\u{1F600}",
  "go",
  "upload",
  "sumdb",
  "api",
  "packages",
  "v1",
  "admin",
  "users",
  "orgs",
  "members",
  "owners",
  "user",
  "tokens",
  "audit",
  "",
  "v2.0.0+incompatible",
  "v1.0.0-%21r%21c",
];
const METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"];
/** What the web UI may answer a made-up request: a page, a refusal, never a 5xx. */
const UI_STATUSES = [200, 400, 401, 403, 404, 405, 410, 413, 415, 429];
/** Credentials that identify nobody: each must get 401 wherever a route looks at them. */
const BOGUS_AUTHS = [
  "Basic !!!",
  "Basic " + btoa("a:b"),
  "Bearer",
  "Bearer myd_x",
  "token ",
  "Digest abc",
  "Basic " + btoa("\u00ff:"),
  "Basic " + btoa(":"),
  basic("alice", "myd_" + "0".repeat(40)),
];
const JUNK_BODIES = ["", "{", "[]", "null", '{"name":1}', '{"name":"zed","admin":"yes"}'];
const PREFIXES = [
  "/api/packages/",
  "/api/v1/packages/",
  "/api/v1/admin/",
  "/api/v1/user/",
  "/",
  "/api/packages/alice/go/",
];
const GOOD_FILES = [
  "@v/list",
  "@v/v1.0.0.info",
  "@v/v1.0.0.mod",
  "@v/v1.0.0.zip",
  "@latest",
  "@v/latest.info",
];
const MISSING_FILES = [
  "@v/v1.0.1.info",
  "@v/v1.0.1.zip",
  "@v/v1.0.0.tar",
  "@v/v1.2.info",
  "@v/v1.0.0-%21%21.mod",
];

Deno.test("random requests to every route get an answer of the class their kind calls for, with a reason, never a 5xx", async () => {
  const server = await startTestServer();
  try {
    const admin = await server.user("root", { admin: true });
    const alice = await server.user("alice");
    const res0 = await server.upload(
      "alice",
      await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" }),
      alice,
    );
    assertEquals(res0.status, 201, await res0.text());
    const seed = testSeed("MODYARD_FUZZ_SEED");
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const proxy = "/api/packages/alice/go/example.com/m/";

    const kinds: (() => Probe)[] = [
      // Paths assembled from route fragments: mostly no route; anything but a 5xx, and
      // credentials that identify nobody never get through.
      () => {
        const segments = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(PIECES));
        const method = pick(METHODS);
        const bogus = rand() < 0.4;
        return {
          kind: bogus ? "junk path, bogus credentials" : "junk path",
          method,
          path: pick(PREFIXES) + segments.join("/"),
          auth: bogus ? pick(BOGUS_AUTHS) : pick([undefined, admin, alice]),
          body: method === "GET" || method === "HEAD" ? undefined : pick(JUNK_BODIES),
          statuses: bogus
            ? [401, 404, 405, 429]
            : [200, 201, 204, 400, 401, 403, 404, 405, 409, 410, 413],
        };
      },
      // A published module's files: 200 for anyone allowed to read a public owner.
      () => ({
        kind: "good read",
        method: pick(["GET", "HEAD"]),
        path: proxy + pick(GOOD_FILES),
        auth: pick([undefined, admin, alice]),
        statuses: [200],
      }),
      // The same with credentials that identify nobody: 401, even on a public owner.
      () => ({
        kind: "good read, bogus credentials",
        method: pick(["GET", "HEAD"]),
        path: proxy + pick(GOOD_FILES),
        auth: pick(BOGUS_AUTHS),
        statuses: [401, 429], // 429 once failed passwords from this client pass the limit
      }),
      // Files that are not there, or not GOPROXY files: 404 (the go command moves on).
      () => ({
        kind: "missing file",
        method: pick(["GET", "HEAD"]),
        path: pick([proxy, "/api/packages/nobody/go/example.com/m/"]) + pick(MISSING_FILES),
        auth: pick([undefined, alice]),
        statuses: [404],
      }),
      // Methods a route does not take: 405.
      () => ({
        kind: "wrong method",
        method: pick(["POST", "PATCH", "DELETE", "OPTIONS", "PUT"]),
        path: proxy + pick(GOOD_FILES),
        auth: pick([undefined, alice]),
        body: pick(JUNK_BODIES),
        statuses: [405],
      }),
      // The admin API with malformed JSON: 400 for an admin, 401 anonymously, 403 for others.
      () => {
        const who = pick(["admin", "alice", "anonymous"] as const);
        return {
          kind: `admin API, bad JSON, ${who}`,
          method: "POST",
          path: pick(["/api/v1/admin/users", "/api/v1/admin/orgs"]),
          auth: who === "admin" ? admin : who === "alice" ? alice : undefined,
          body: pick(["", "{", "[]", "null", "{}", '{"name":1}', '{"name":""}']),
          statuses: [{ admin: 400, alice: 403, anonymous: 401 }[who]],
        };
      },
      // Own tokens with malformed JSON: 400 for a user, 401 anonymously.
      () => {
        const anonymous = rand() < 0.3;
        return {
          kind: `token API, bad JSON${anonymous ? ", anonymous" : ""}`,
          method: "POST",
          path: "/api/v1/user/tokens",
          auth: anonymous ? undefined : alice,
          body: pick(["{", "[]", "null", '{"scope":"everything"}', '{"expires_in_days":-1}']),
          statuses: [anonymous ? 401 : 400],
        };
      },
      // Uploads of things that are not module zips: 400 for the owner, 401 anonymously.
      () => {
        const anonymous = rand() < 0.3;
        return {
          kind: `upload of junk${anonymous ? ", anonymous" : ""}`,
          method: "PUT",
          path: "/api/packages/alice/go/upload",
          auth: anonymous ? undefined : alice,
          body: pick(["", "{", "PK\u0003\u0004", "PK\u0005\u0006" + "\u0000".repeat(18)]),
          statuses: [anonymous ? 401 : 400],
        };
      },
    ];

    const tally = new Map<string, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const probe = pick(kinds)();
      const { method, path, auth, body } = probe;
      const where = `seed ${seed}, request ${i} (${probe.kind}): ${method} ${path.slice(0, 120)} ` +
        `(${auth?.slice(0, 16)}) body ${JSON.stringify(body)}`;
      const headers: Record<string, string> = {};
      if (auth) headers.authorization = auth;
      if (body !== undefined) headers["content-type"] = "application/json";
      let res: Response;
      try {
        res = await fetch(`${server.url}${path}`, { method, body, headers });
      } catch (err) {
        throw new Error(`no answer: ${where}: ${err}`);
      }
      const text = await res.text();
      const got = `${where} → ${res.status} ${text.slice(0, 200)}`;
      const pathname = new URL(path, server.url).pathname;
      // The web UI answers every path outside /api/ the other routes leave; it ignores the
      // Authorization header (sessions only), answers HTML, and never sends a Basic challenge.
      const ui = !pathname.startsWith("/api/") &&
        !["/healthz", "/readyz", "/metrics"].includes(pathname);
      if (ui) {
        assertOk(UI_STATUSES.includes(res.status), `expected ${UI_STATUSES}: ${got}`);
        if (res.status >= 400) {
          assertOk(
            ["text/html; charset=utf-8", "text/plain; charset=utf-8"].includes(
              res.headers.get("content-type") ?? "",
            ),
            `content type ${res.headers.get("content-type")}: ${got}`,
          );
          if (method !== "HEAD") assertOk(text.trim().length > 0, `no reason: ${got}`);
        }
        const key = `${probe.kind} (ui) → ${res.status}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        continue;
      }
      assertOk(probe.statuses.includes(res.status), `expected ${probe.statuses}: ${got}`);
      if (res.status === 401) {
        assertEquals(res.headers.get("www-authenticate"), 'Basic realm="modyard"', got);
      }
      if (res.status === 429) assertOk(res.headers.get("retry-after"), `no Retry-After: ${got}`);
      if (res.status === 405) assertOk(res.headers.get("allow"), `no Allow header: ${got}`);
      if (res.status >= 400) {
        const json = pathname.startsWith("/api/v1/");
        assertEquals(
          res.headers.get("content-type"),
          json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
          got,
        );
        if (method === "HEAD") {
          assertEquals(text, "", got);
        } else if (json) {
          const message = JSON.parse(text).message;
          assertOk(typeof message === "string" && message.length > 0, `no reason: ${got}`);
        } else {
          assertOk(text.trim().length > 0 && text.endsWith("\n"), `no reason: ${got}`);
        }
      }
      const key = `${probe.kind} → ${res.status}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    // Every kind was tried, so a generator that stopped producing one is noticed.
    const kindsSeen = new Set([...tally.keys()].map((k) => k.split(" → ")[0].split(",")[0]));
    assertOk(kindsSeen.size >= 7, `seed ${seed}: kinds seen ${[...kindsSeen]}`);
  } finally {
    await server.close();
  }
});
