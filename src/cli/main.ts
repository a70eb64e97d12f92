/**
 * The command line: `serve`, and admin commands that work directly on the KV store given
 * by `--kv` / `MODYARD_KV` (also while a server runs on it).
 *
 * @module
 */

import { type Config, ConfigError, loadConfig, SETTINGS } from "../config.ts";
import {
  AccountError,
  createOrg,
  createToken,
  createUser,
  deleteOwner,
  listTokens,
  listUsers,
  ownerUsage,
  PRIVATE_AFTER_PUBLIC_WARNING,
  removeMember,
  requireUser,
  restoreOwner,
  revokeToken,
  setMember,
  setPassword,
  setQuota,
  setVisibility,
} from "../registry/accounts.ts";
import { CLI_ACTOR, readAudit } from "../registry/audit.ts";
import { clearPin, NotFoundError } from "../registry/lifecycle.ts";
import { startServer } from "../server.ts";
import { setPrivatePaths, setPullThrough } from "../upstream/owner_settings.ts";
import { evictCached, listCache, parseCacheTarget } from "../upstream/cache_admin.ts";
import { sweepAbandonedUploads } from "../store/blob_store.ts";
import { openStore, StoreError } from "../store/open_store.ts";
import { sumdbEnable, sumdbKey } from "./sumdb_commands.ts";

const USAGE = `usage: main.ts COMMAND [options]

commands:
  serve                                  start the server
  user create NAME [--admin] [--private] [--password-stdin]
  user list
  user delete NAME                       the name stays reserved; its versions are deleted, pins kept
  user restore NAME                      give a deleted name back (audited; old pins still bind)
  org create ORG --owner USER [--private]
  org member add ORG USER [--role read|write|owner]
  org member remove ORG USER
  user passwd NAME --password-stdin
  owner visibility OWNER public|private
  token create USER [--scope read|write] [--label TEXT] [--expires 30d]
  token list USER
  token revoke USER TOKEN_ID
  owner quota OWNER BYTES|default        set or remove an owner's storage quota
  owner usage OWNER                      bytes, versions and modules stored
  owner pull-through OWNER on|off        answer paths the owner never published from --upstream
  owner private-paths OWNER PATTERNS     GOPRIVATE-style globs never asked upstream ("" clears)
  pin clear OWNER MODULE VERSION         let a deleted version be published with other content (audited)
  audit [--page N] [--limit N]           the audit log, newest first
  publish [DIR] --url URL --owner OWNER [--version vX.Y.Z] [--module PATH]
          [--allow-dirty] [--dry-run] [--out FILE] [--token-stdin]
                                         build the module zip from source and upload it
  login URL [--owner OWNER] [--user NAME] [--password-stdin] [--scope read|write] [--apply]
                                         create a token, write it to .netrc, print the go settings
  logout URL                             revoke the login's token and remove its .netrc entry
  webhook add OWNER URL --events publish,delete[,pin.clear,owner.visibility] --secret-stdin
  webhook list OWNER
  webhook remove OWNER ID
  webhook deliveries OWNER ID            the last deliveries and every attempt
  webhook redeliver OWNER ID DELIVERY_ID
  gc                                     remove the chunks of abandoned uploads and deleted versions
  sumdb enable OWNER [--name NAME]       start the owner's own checksum database (idempotent):
                                         appends every version it ever had, prints the settings
  sumdb key OWNER                        the go command's settings for it; the verifier key
                                         (GOSUMDB) alone on the last line
  cache list [PATTERN] [--limit N] [--cursor C]
                                         module versions in the pull-through cache, their files and
                                         bytes, the total and the budget; PATTERN: GOPRIVATE-style
                                         globs (example.com/m matches it and example.com/m/v2)
  cache evict MODULE[@VERSION]           drop a cached version (or all of a module's) so the next
                                         request fetches it again (audited; chunks kept for
                                         --delete-grace seconds)
  verify [OWNER[/MODULE[@VERSION]]] [--repair]
                                         re-read every stored zip and go.mod, recompute SHA-256
                                         and h1, report mismatches, missing/extra chunks and
                                         orphaned blobs (exit 1 on any); --repair removes orphans
  export FILE                            write a backup archive (tar, created 0600; holds secrets)
  import FILE                            restore a backup archive into an EMPTY store

settings (flag / environment variable, default):
${SETTINGS.map((s) => `  --${s.flag} / ${s.env} (${s.fallback || "none"}): ${s.help}`).join("\n")}
`;

/** Thrown for a malformed command line (exit code 2). */
class UsageError extends Error {}

/** Runs the command line; resolves to the process exit code (never for `serve`). */
export async function runCli(args: string[]): Promise<number> {
  try {
    const { config, rest } = loadConfig(args, (name) => Deno.env.get(name));
    const { positional, flags } = splitFlags(rest);
    const [command, sub] = positional;
    if (command === undefined || command === "help" || flags.has("help")) {
      console.error(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "publish") {
      // Loaded on use: the zip writer it needs is not part of a server's start-up.
      const { publishCommand } = await import("./publish.ts");
      return await publishCommand({
        dir: positional[1] ?? ".",
        url: flagValue(flags, "url") ?? "",
        owner: flagValue(flags, "owner") ?? "",
        version: flagValue(flags, "version"),
        module: flagValue(flags, "module"),
        allowDirty: flags.has("allow-dirty"),
        dryRun: flags.has("dry-run"),
        out: flagValue(flags, "out"),
        tokenStdin: flags.has("token-stdin"),
      });
    }
    if (command === "login" || command === "logout") {
      // A client of a running server over HTTP: no store is opened.
      const { loginCommand } = await import("./login.ts");
      return await loginCommand(command, positional.slice(1), flags);
    }
    if (command === "serve") {
      const running = await startServer(config);
      await running.server.finished;
      return 0;
    }
    const kv = await openStore(config.kv || undefined);
    try {
      return await runAdmin(kv, command, sub, positional.slice(2), flags, config);
    } finally {
      kv.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AccountError || err instanceof StoreError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

async function runAdmin(
  kv: Deno.Kv,
  command: string,
  sub: string | undefined,
  args: string[],
  flags: Map<string, string | true>,
  config: Config,
): Promise<number> {
  const arg = (i: number, what: string) => {
    if (args[i] === undefined) throw new UsageError(`missing ${what}`);
    return args[i];
  };
  const opsArgs = sub === undefined ? args : [sub, ...args];
  if (command === "webhook") {
    const { webhookCommand } = await import("./webhook_commands.ts");
    return await webhookCommand(kv, sub, args, flags, config);
  }
  if (command === "verify" || command === "export" || command === "import") {
    // Loaded on use: not part of a server's start-up.
    const ops = await import("./ops_commands.ts");
    try {
      switch (command) {
        case "verify":
          return await ops.verifyCommand(kv, opsArgs, flags.has("repair"));
        case "export":
          return await ops.exportCommand(kv, opsArgs);
        case "import":
          return await ops.importCommand(kv, opsArgs);
      }
    } catch (err) {
      if (err instanceof ops.OpsUsageError) throw new UsageError(err.message);
      throw err;
    }
  }
  switch (`${command} ${sub ?? ""}`.trim()) {
    case "user create": {
      const password = flags.has("password-stdin") ? await readPasswordFromStdin() : undefined;
      const user = await createUser(kv, arg(0, "user name"), {
        admin: flags.has("admin"),
        visibility: flags.has("private") ? "private" : "public",
        password,
      });
      console.log(`created ${user.admin ? "admin " : ""}user ${user.name}`);
      return 0;
    }
    case "user delete":
      await deleteOwner(kv, arg(0, "name"), CLI_ACTOR, config.deleteGraceSeconds * 1000);
      console.log(`deleted ${args[0]}; the name stays reserved`);
      return 0;
    case "user restore":
      await restoreOwner(kv, arg(0, "name"));
      console.log(`restored ${args[0]}; set a password or create tokens to use it`);
      return 0;
    case "org create": {
      const owner = flagValue(flags, "owner");
      if (!owner) throw new UsageError("org create needs --owner USER");
      await createOrg(kv, arg(0, "organisation"), owner, {
        visibility: flags.has("private") ? "private" : "public",
      });
      console.log(`created organisation ${args[0]} owned by ${owner}`);
      return 0;
    }
    case "org member": {
      const [action, org, user] = [arg(0, "add or remove"), arg(1, "organisation"), arg(2, "user")];
      if (action === "add") {
        const role = flagValue(flags, "role") ?? "read";
        if (role !== "read" && role !== "write" && role !== "owner") {
          throw new UsageError("--role must be read, write or owner");
        }
        await setMember(kv, org, user, role);
        console.log(`${user} is now ${role} in ${org}`);
      } else if (action === "remove") {
        await removeMember(kv, org, user);
        console.log(`${user} removed from ${org}`);
      } else {
        throw new UsageError("org member add|remove ORG USER");
      }
      return 0;
    }
    case "user list":
      for (const u of await listUsers(kv)) {
        const kind = u.kind === "org" ? "org" : u.admin ? "admin" : "user";
        console.log(
          `${u.name}\t${kind}\t${u.visibility}\t${
            u.deleted ? `deleted ${u.deleted}` : u.createdAt
          }`,
        );
      }
      return 0;
    case "user passwd":
      if (!flags.has("password-stdin")) throw new UsageError("user passwd needs --password-stdin");
      await setPassword(kv, arg(0, "user name"), await readPasswordFromStdin());
      console.log("password set");
      return 0;
    case "owner visibility": {
      const visibility = arg(1, "visibility");
      if (visibility !== "public" && visibility !== "private") {
        throw new UsageError("visibility must be public or private");
      }
      const before = await setVisibility(kv, arg(0, "owner"), visibility);
      console.log(`owner ${args[0]} is now ${visibility}`);
      if (before === "public" && visibility === "private") {
        console.error(`warning: ${PRIVATE_AFTER_PUBLIC_WARNING}`);
      }
      return 0;
    }
    case "owner quota": {
      const value = arg(1, "quota in bytes, or default");
      if (value !== "default" && !/^[0-9]+$/.test(value)) {
        throw new UsageError("quota must be a number of bytes or default");
      }
      await setQuota(kv, arg(0, "owner"), value === "default" ? null : Number(value));
      console.log(`quota of ${args[0]} is now ${value}`);
      return 0;
    }
    case "owner pull-through": {
      const state = arg(1, "on or off");
      if (state !== "on" && state !== "off") throw new UsageError("pull-through must be on or off");
      await setPullThrough(kv, arg(0, "owner"), state === "on");
      console.log(`pull-through of ${args[0]} is now ${state}`);
      return 0;
    }
    case "owner private-paths": {
      if (args.length < 2) throw new UsageError("owner private-paths needs OWNER PATTERNS");
      await setPrivatePaths(kv, arg(0, "owner"), args[1]);
      console.log(`private paths of ${args[0]} are now ${JSON.stringify(args[1])}`);
      return 0;
    }
    case "owner usage": {
      await requireUser(kv, arg(0, "owner")); // a typo must not read as an empty owner
      const usage = await ownerUsage(kv, arg(0, "owner"));
      console.log(
        `bytes\t${usage.bytes}\nversions\t${usage.versions}\nmodules\t${usage.modules}\nquota\t${
          usage.quota ?? "default"
        }`,
      );
      return 0;
    }
    case "owner check-names": {
      // Owners created before their name was reserved: the server's own paths shadow them.
      const { ownersWithReservedNames } = await import("../registry/reserved_names.ts");
      const clashes = await ownersWithReservedNames(kv);
      for (const name of clashes) {
        console.log(`${name}\treserved name: its web page is shadowed by the server's own paths`);
      }
      if (clashes.length === 0) console.log("no owner has a reserved name");
      return clashes.length === 0 ? 0 : 1;
    }
    case "pin clear": {
      try {
        const pin = await clearPin(
          kv,
          arg(0, "owner"),
          arg(1, "module"),
          arg(2, "version"),
          CLI_ACTOR,
        );
        console.log(`pin of ${args[0]}/${args[1]}@${args[2]} (${pin.h1}) cleared`);
      } catch (err) {
        if (err instanceof NotFoundError) throw new AccountError(err.message);
        throw err;
      }
      return 0;
    }
    case "audit": {
      const page = Number(flagValue(flags, "page") ?? "1");
      const limit = Number(flagValue(flags, "limit") ?? "50");
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(limit) || limit < 1) {
        throw new UsageError("--page and --limit must be whole numbers ≥ 1");
      }
      const { entries, more } = await readAudit(kv, page, limit);
      for (const e of entries) {
        const detail = e.detail
          ? " " + Object.entries(e.detail).map(([k, v]) => `${k}=${v}`).join(" ")
          : "";
        console.log(`${e.time}\t${e.actor}\t${e.client}\t${e.action}\t${e.target}${detail}`);
      }
      if (more) console.log(`(more: --page ${page + 1})`);
      return 0;
    }
    case "token create": {
      const scope = flagValue(flags, "scope") ?? "read";
      if (scope !== "read" && scope !== "write") {
        throw new UsageError("--scope must be read or write");
      }
      const expires = flagValue(flags, "expires");
      const { token } = await createToken(kv, arg(0, "user name"), {
        scope,
        label: flagValue(flags, "label") ?? "",
        expiresAt: expires === undefined
          ? undefined
          : new Date(Date.now() + parseDuration(expires)),
      });
      console.log(token);
      return 0;
    }
    case "token list":
      for (const t of await listTokens(kv, arg(0, "user name"))) {
        console.log(`${t.id}\t${t.scope}\t${t.expiresAt ?? "never"}\t${t.label}`);
      }
      return 0;
    case "token revoke":
      await revokeToken(kv, arg(0, "user name"), arg(1, "token id"));
      console.log("token revoked");
      return 0;
    case "cache list":
      return await cacheList(kv, args, flags, config);
    case "sumdb enable":
      return await sumdbEnable(kv, arg(0, "owner"), flagValue(flags, "name"), config);
    case "sumdb key":
      return await sumdbKey(kv, arg(0, "owner"), config);
    case "cache evict": {
      let target;
      try {
        target = parseCacheTarget(arg(0, "MODULE[@VERSION]"));
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      try {
        const graceMs = config.deleteGraceSeconds * 1000;
        const eviction = await evictCached(kv, target.module, target.version, CLI_ACTOR, graceMs);
        for (const v of eviction.versions) {
          console.log(
            `evicted ${eviction.module}@${v.version}: ${v.files.join(",")}, ${v.bytes} bytes`,
          );
        }
        console.log(
          `evicted ${eviction.versions.length} version(s), ${eviction.bytes} bytes; ` +
            `their chunks are removed after ${config.deleteGraceSeconds} s (--delete-grace)`,
        );
      } catch (err) {
        if (err instanceof NotFoundError) throw new AccountError(err.message);
        throw err;
      }
      return 0;
    }
    case "gc": {
      const swept = await sweepAbandonedUploads(kv);
      for (const s of swept) {
        console.log(
          `removed abandoned upload ${s.blobId} (owner ${s.owner}): ${s.chunks} chunks, ${s.bytes} bytes`,
        );
      }
      console.log(`gc: removed ${swept.length} abandoned upload(s)`);
      return 0;
    }
  }
  throw new UsageError(`unknown command ${JSON.stringify(`${command} ${sub ?? ""}`.trim())}`);
}

/** `cache list`: one page of the pull-through cache as a table, then the totals. */
async function cacheList(
  kv: Deno.Kv,
  args: string[],
  flags: Map<string, string | true>,
  config: Config,
): Promise<number> {
  const limit = Number(flagValue(flags, "limit") ?? String(CLI_CACHE_PAGE));
  let listing;
  try {
    listing = await listCache(kv, {
      pattern: args[0] ?? "",
      limit,
      cursor: flagValue(flags, "cursor"),
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const rows = [
    ["MODULE", "VERSION", "FILES", "BYTES"],
    ...listing.versions.map((v) => [v.module, v.version, v.files.join(","), String(v.bytes)]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) {
    console.log(
      [r[0].padEnd(widths[0]), r[1].padEnd(widths[1]), r[2].padEnd(widths[2]), r[3]].join("  "),
    );
  }
  const listed = listing.versions.reduce((n, v) => n + v.bytes, 0);
  console.log(`listed: ${listing.versions.length} version(s), ${listed} bytes`);
  const budget = config.upstreamCacheMaxBytes;
  const share = budget > 0 ? ` (${(listing.totalBytes / budget * 100).toFixed(1)}%)` : "";
  console.log(
    `total: ${listing.totalBytes} bytes cached of a ${budget}-byte budget${share} (--upstream-cache-max-bytes)`,
  );
  if (listing.next !== null) console.log(`(more: --cursor '${listing.next}')`);
  return 0;
}

/** Rows `cache list` prints when no `--limit` is given. */
const CLI_CACHE_PAGE = 1000;

function splitFlags(args: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const valued = new Set([
    "scope",
    "label",
    "expires",
    "page",
    "limit",
    "owner",
    "role",
    "url",
    "version",
    "module",
    "out",
    "cursor",
    "user",
    "events",
  ]);
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) {
      positional.push(args[i]);
    } else if (m[2] !== undefined) {
      flags.set(m[1], m[2]);
    } else if (valued.has(m[1])) {
      if (i + 1 >= args.length) throw new UsageError(`--${m[1]} needs a value`);
      flags.set(m[1], args[++i]);
    } else {
      flags.set(m[1], true);
    }
  }
  return { positional, flags };
}

function flagValue(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return v === true ? undefined : v;
}

/** Parses `30d`, `12h`, `15m`, `90s` into milliseconds. */
function parseDuration(text: string): number {
  const m = /^([1-9][0-9]*)([dhms])$/.exec(text);
  if (!m) {
    throw new UsageError(
      `--expires must look like 30d, 12h, 15m or 90s, not ${JSON.stringify(text)}`,
    );
  }
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as "d" | "h" | "m" | "s"];
  const ms = Number(m[1]) * unit;
  // Past ten years (the HTTP API's limit too) the date soon stops being representable.
  if (ms > MAX_EXPIRY_MS) {
    throw new UsageError(
      `--expires must be at most 3650d, not ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return ms;
}

const MAX_EXPIRY_MS = 3650 * 86_400_000;

async function readPasswordFromStdin(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("no password on standard input");
  return password;
}
