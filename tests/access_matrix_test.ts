// Who may do what: every principal × owner × operation, asserted against a literal table
// written here by hand (not computed by the code under test).
import {
  createOrg,
  createToken,
  createUser,
  revokeToken,
  setMember,
} from "../src/registry/accounts.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/matrix";
const OWNERS = ["alice", "pat", "pubco", "privco"] as const; // public user, private user, public org, private org
const OPS = ["list", "info", "mod", "zip", "upload", "delete"] as const;

const R = [200, 200, 200, 200]; // the four reads allowed
const r401 = [401, 401, 401, 401];
const r403 = [403, 403, 403, 403];
const ALL_401 = [...r401, 401, 401];
const ALL_403 = [...r403, 403, 403];

// principal → per owner [list, info, mod, zip, upload, delete]
const EXPECTED: Record<string, Record<(typeof OWNERS)[number], number[]>> = {
  "anonymous": { alice: [...R, 401, 401], pat: ALL_401, pubco: [...R, 401, 401], privco: ALL_401 },
  "wrong password": { alice: ALL_401, pat: ALL_401, pubco: ALL_401, privco: ALL_401 },
  "read token": {
    alice: [...R, 403, 403],
    pat: ALL_403,
    pubco: [...R, 403, 403],
    privco: [...R, 403, 403],
  },
  "write token": {
    alice: [...R, 201, 204],
    pat: ALL_403,
    pubco: [...R, 201, 204],
    privco: [...R, 201, 204],
  },
  "expired token": { alice: ALL_401, pat: ALL_401, pubco: ALL_401, privco: ALL_401 },
  "revoked token": { alice: ALL_401, pat: ALL_401, pubco: ALL_401, privco: ALL_401 },
  "other user": { alice: [...R, 403, 403], pat: ALL_403, pubco: [...R, 403, 403], privco: ALL_403 },
  "org reader": {
    alice: [...R, 403, 403],
    pat: ALL_403,
    pubco: [...R, 403, 403],
    privco: [...R, 403, 403],
  },
  "org writer": {
    alice: [...R, 403, 403],
    pat: ALL_403,
    pubco: [...R, 201, 204],
    privco: [...R, 201, 204],
  },
  "admin": {
    alice: [...R, 201, 204],
    pat: [...R, 201, 204],
    pubco: [...R, 201, 204],
    privco: [...R, 201, 204],
  },
};

Deno.test("access matrix: 10 principals × 4 owners × 6 operations", async () => {
  // Throttling is its own test; here every wrong password must still get its 401.
  const server = await startTestServer({
    authLimits: { perPair: 1000, perClient: 1000, perAccount: 1000 },
  });
  const kv = server.kv;
  try {
    // Owners. alice owns herself and both organisations; pat is private.
    await createUser(kv, "alice", { password: "alice-password-1" });
    await createUser(kv, "pat", { visibility: "private" });
    await createUser(kv, "olga");
    await createUser(kv, "rob");
    await createUser(kv, "wendy");
    await createUser(kv, "root", { admin: true });
    await createOrg(kv, "pubco", "alice");
    await createOrg(kv, "privco", "alice", { visibility: "private" });
    for (const org of ["pubco", "privco"]) {
      await setMember(kv, org, "rob", "read");
      await setMember(kv, org, "wendy", "write");
    }
    const token = async (user: string, scope: "read" | "write", expiresAt?: Date) =>
      basic(user, (await createToken(kv, user, { scope, expiresAt })).token);
    const revoked = await createToken(kv, "alice", { scope: "write" });
    await revokeToken(kv, "alice", revoked.record.id);
    const principals: Record<string, string | undefined> = {
      "anonymous": undefined,
      "wrong password": basic("alice", "not-her-password"),
      "read token": await token("alice", "read"),
      "write token": await token("alice", "write"),
      "expired token": await token("alice", "write", new Date(Date.now() - 1000)),
      "revoked token": basic("alice", revoked.token),
      "other user": await token("olga", "write"),
      "org reader": await token("rob", "write"),
      "org writer": await token("wendy", "write"),
      "admin": await token("root", "write"),
    };
    const names = Object.keys(principals);
    assertEquals(names, Object.keys(EXPECTED));

    // Each owner gets v1.0.0 to read, and one deletable version per principal.
    const admin = principals["admin"]!;
    for (const owner of OWNERS) {
      for (const version of ["v1.0.0", ...names.map((_, i) => `v0.0.${i}`)]) {
        const res = await server.upload(
          owner,
          await moduleZip(MOD, version, { "go.mod": `module ${MOD}\n` }),
          admin,
        );
        assertEquals(res.status, 201, `${owner} ${version}`);
        await res.body?.cancel();
      }
    }

    const failures: string[] = [];
    for (const [i, name] of names.entries()) {
      const auth = principals[name];
      const headers: Record<string, string> = auth ? { authorization: auth } : {};
      for (const owner of OWNERS) {
        const base = `${server.proxy(owner)}/${MOD}/@v`;
        const requests: Record<(typeof OPS)[number], () => Promise<Response>> = {
          list: () => fetch(`${base}/list`, { headers }),
          info: () => fetch(`${base}/v1.0.0.info`, { headers }),
          mod: () => fetch(`${base}/v1.0.0.mod`, { headers }),
          zip: () => fetch(`${base}/v1.0.0.zip`, { headers }),
          upload: async () =>
            server.upload(
              owner,
              await moduleZip(MOD, `v0.1.${i}`, { "go.mod": `module ${MOD}\n` }),
              auth,
            ),
          delete: () =>
            fetch(
              `${server.url}/api/v1/packages/${owner}/go/${encodeURIComponent(MOD)}/v0.0.${i}`,
              {
                method: "DELETE",
                headers,
              },
            ),
        };
        for (const [k, op] of OPS.entries()) {
          const res = await requests[op]();
          const body = await res.text();
          const want = EXPECTED[name][owner][k];
          if (res.status !== want) {
            failures.push(
              `${name} ${op} ${owner}: got ${res.status}, want ${want} (${body.trim()})`,
            );
          }
          if (res.status === 401 || res.status === 403) {
            assertOk(
              !body.includes(MOD),
              `${name} ${op} ${owner}: module name in a ${res.status} body`,
            );
          }
          if (res.status === 401) {
            assertEquals(
              res.headers.get("www-authenticate"),
              'Basic realm="modyard"',
              `${name} ${op} ${owner}`,
            );
          }
        }
      }
    }
    assertEquals(failures, []);
  } finally {
    await server.close();
  }
});
