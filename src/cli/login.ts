/**
 * `login URL` and `logout URL`: a token for this machine in `.netrc`, and the `go`
 * command's settings for the registry.
 *
 * `login` authenticates with the user's password (asked on a terminal without echo, or
 * `--user` and `--password-stdin`), creates a token through `POST /api/v1/user/tokens`
 * (scope `write` by default, so the printed `publish` line works; `--scope read` for a
 * machine that only builds) labelled `login <hostname> <date>`, writes the `.netrc` entry
 * for the URL's host, and prints (and with `--apply` or a confirmation, applies) the go
 * settings. Exit codes: 0 logged in; 1 refused by the server, unreachable, or a file could
 * not be written; 2 usage.
 *
 * `logout` revokes the entry's token (`DELETE /api/v1/user/tokens/current`) and removes the
 * host's entries. Exit codes: 0 revoked (or the token was already invalid, or the entry held
 * a password); 1 no entry for the host; 2 usage; 3 the entry was removed but the server
 * could not be asked to revoke the token (it may still be valid).
 *
 * @module
 */

import { TOKEN_PREFIX } from "../registry/secrets.ts";
import { readGoEnv, writeGoEnv } from "./go_env.ts";
import {
  GO_ENV_NAMES,
  type GoEnvValues,
  goSettings,
  type OwnerFacts,
  settingsNotes,
} from "./go_settings.ts";
import { netrcEntryFor, removeNetrcEntries, setNetrcEntry } from "./netrc_edit.ts";
import { netrcPath, readNetrcFile, writeNetrcFile } from "./netrc_file.ts";
import { confirm, PromptCancelled, promptLine, promptSecret } from "./terminal_prompt.ts";

/** A refusal with its exit code and message. */
class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Longest a single request to the registry may take. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Most pages of the owner's module list read (100 modules each). */
const MAX_MODULE_PAGES = 100;

/** Runs `login` or `logout`; resolves to the exit code. */
export async function loginCommand(
  command: "login" | "logout",
  args: string[],
  flags: Map<string, string | true>,
): Promise<number> {
  try {
    const registry = registryUrl(args);
    return command === "login" ? await login(registry, flags) : await logout(registry);
  } catch (err) {
    if (err instanceof Exit) {
      console.error(`error: ${err.message}`);
      return err.code;
    }
    if (err instanceof PromptCancelled) {
      console.error("error: cancelled");
      return 2;
    }
    throw err;
  }
}

/** The registry's base URL (no trailing slash) from the one positional argument. */
function registryUrl(args: string[]): URL {
  if (args.length !== 1) throw new Exit(2, "give the registry URL: login|logout URL");
  let url: URL;
  try {
    url = new URL(args[0]);
  } catch {
    throw new Exit(2, `not a URL: ${JSON.stringify(args[0])}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Exit(2, `the URL must be http(s), not ${JSON.stringify(url.protocol)}`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Exit(2, "the URL must not carry credentials, a query or a fragment");
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

/** The registry's base as text, e.g. `https://host` or `https://host/prefix`. */
function base(registry: URL): string {
  return registry.href.replace(/\/+$/, "");
}

/** The host name the go command matches `.netrc` entries with (no port, no brackets). */
function netrcHost(registry: URL): string {
  return registry.hostname.replace(/^\[(.*)\]$/, "$1");
}

function flag(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return v === true ? undefined : v;
}

function basicAuth(user: string, secret: string): string {
  return "Basic " + new TextEncoder().encode(`${user}:${secret}`).toBase64();
}

/** A request to the registry; network failures become exit 1 with the reason. */
async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new Exit(1, `cannot reach ${url}: ${(err as Error).message}`);
  }
}

/** The plain-text reason of a refusal, shortened to one line. */
async function reason(res: Response): Promise<string> {
  let text = (await res.text()).trim();
  try {
    const message = JSON.parse(text).message; // the API's {"message"} answers
    if (typeof message === "string") text = message;
  } catch { /* plain text */ }
  text = text.replace(/\s+/g, " ");
  return `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 500)}` : ""}`;
}

/** This machine's name for the token label, without asking for a permission. */
function hostname(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
      return Deno.hostname();
    }
  } catch { /* fall back */ }
  try {
    const name = Deno.readTextFileSync("/etc/hostname").trim();
    if (name) return name;
  } catch { /* fall back */ }
  return Deno.env.get("HOSTNAME") || "unknown-host";
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

async function login(registry: URL, flags: Map<string, string | true>): Promise<number> {
  const scope = flag(flags, "scope") ?? "write";
  if (scope !== "read" && scope !== "write") throw new Exit(2, "--scope must be read or write");
  const terminal = Deno.stdin.isTerminal();
  const passwordStdin = flags.has("password-stdin");
  let user = flag(flags, "user");
  if (user === undefined) {
    if (passwordStdin || !terminal) {
      throw new Exit(2, "give --user NAME (standard input is not a terminal to ask on)");
    }
    user = (await promptLine(`user name at ${registry.host}: `)).trim();
  }
  if (user === "" || /\s|:/.test(user)) {
    throw new Exit(2, `not a user name: ${JSON.stringify(user)}`);
  }
  let password: string;
  if (passwordStdin) {
    password = (await readStdin()).replace(/\r?\n$/, "");
  } else if (terminal) {
    password = await promptSecret(`password of ${user} (not shown): `);
  } else {
    throw new Exit(2, "give --password-stdin (standard input is not a terminal to ask on)");
  }
  if (password === "") throw new Exit(2, "no password given");
  if (registry.protocol === "http:") {
    console.error(
      "warning: the go command sends .netrc credentials only over https; with http it will " +
        "reach public owners only",
    );
  }

  const label = `login ${hostname()} ${new Date().toISOString().slice(0, 10)}`.slice(0, 200);
  const created = await request(`${base(registry)}/api/v1/user/tokens`, {
    method: "POST",
    headers: { authorization: basicAuth(user, password), "content-type": "application/json" },
    body: JSON.stringify({ scope, label }),
  });
  if (created.status !== 201) {
    throw new Exit(1, `${registry.host} refused to create a token: ${await reason(created)}`);
  }
  const { token } = await created.json() as { token: string };

  // Everything that can fail runs before .netrc changes; a failure revokes the new token.
  const owner = flag(flags, "owner") ?? user;
  const path = netrcPath();
  const host = netrcHost(registry);
  let facts: OwnerFacts;
  let before: string;
  try {
    facts = await ownerFacts(registry, owner, basicAuth(user, token));
    before = await readNetrcFile(path);
  } catch (err) {
    await revoke(registry, user, token);
    const why = err instanceof Exit
      ? err.message
      : `cannot read ${path}: ${(err as Error).message}`;
    throw new Exit(1, `${why} (the new token was revoked; ${path} is unchanged)`);
  }
  const previous = netrcEntryFor(before, host);
  try {
    const written = await writeNetrcFile(path, setNetrcEntry(before, host, user, token));
    const perms = written.created ? "created, mode 0600" : `mode 0${written.mode.toString(8)}`;
    console.error(
      `logged in to ${base(registry)} as ${user}: ${scope} token "${label}" in ${path} (${perms})`,
    );
    if (written.mode & 0o077) {
      console.error(`warning: ${path} can be read by other users: chmod 600 ${path}`);
    }
  } catch (err) {
    await revoke(registry, user, token);
    throw new Exit(1, `cannot write ${path}: ${(err as Error).message} (the token was revoked)`);
  }
  if (previous?.password.startsWith(TOKEN_PREFIX)) {
    console.error(
      `note: the token ${previous.login} had in ${path} before was replaced, not revoked ` +
        `(it may be in use elsewhere): deno task cli token list/revoke, or the tokens API`,
    );
  }

  const current = await readGoEnv(GO_ENV_NAMES);
  const env: GoEnvValues = typeof current === "string" ? {} : current;
  const settings = goSettings(facts, env);
  console.log(`# the go command's settings for ${owner}:`);
  for (const s of settings) console.log(`go env -w ${s.name}=${s.value}`);
  console.log(`# publish a module (credentials from ${path}):`);
  console.log(`deno task cli publish . --url ${base(registry)} --owner ${owner}`);
  if (scope === "read") {
    console.log("# (this token has read scope: publish needs a write token, --token-stdin)");
  }
  for (const note of settingsNotes(facts, env)) console.error(`note: ${note}`);
  if (typeof current === "string") {
    console.error(`note: settings not applied: ${current}`);
    return 0;
  }
  return await maybeApply(settings, env, flags.has("apply"), terminal && !passwordStdin);
}

/** Applies the settings with `--apply`, or after a yes on a terminal; else says how. */
async function maybeApply(
  settings: { name: string; value: string }[],
  current: GoEnvValues,
  apply: boolean,
  mayAsk: boolean,
): Promise<number> {
  const changes = settings.filter((s) => current[s.name] !== s.value);
  if (changes.length === 0) {
    console.error("the go command already has these settings");
    return 0;
  }
  if (!apply) {
    if (!mayAsk) {
      console.error("not applied: run the go env -w lines above, or login again with --apply");
      return 0;
    }
    for (const s of changes) {
      console.error(
        `  ${s.name}: ${JSON.stringify(current[s.name] ?? "")} -> ${JSON.stringify(s.value)}`,
      );
    }
    if (!(await confirm("apply with go env -w? [y/N] "))) {
      console.error("not applied");
      return 0;
    }
  }
  const { error, warnings } = await writeGoEnv(changes);
  if (warnings) console.error(warnings);
  if (error) throw new Exit(1, error);
  console.error(`applied: ${changes.map((s) => s.name).join(", ")} (go env -w)`);
  return 0;
}

/** The owner's URL, checksum database key, and hosted module paths, read with the token. */
async function ownerFacts(registry: URL, owner: string, auth: string): Promise<OwnerFacts> {
  const api = `${base(registry)}/api/v1/packages/${encodeURIComponent(owner)}`;
  const facts: OwnerFacts = {
    ownerUrl: `${base(registry)}/api/packages/${owner}/go`,
    verifierKey: null,
    hostedPaths: [],
  };
  const sumdb = await request(`${api}/sumdb`, { headers: { authorization: auth } });
  if (sumdb.status === 200) {
    facts.verifierKey = ((await sumdb.json()) as { verifier_key: string }).verifier_key;
    return facts;
  }
  if (sumdb.status !== 404) throw new Exit(1, `cannot read ${owner}: ${await reason(sumdb)}`);
  await sumdb.body?.cancel();
  for (let page = 1; page <= MAX_MODULE_PAGES; page++) {
    const res = await request(`${api}?type=go&limit=100&page=${page}`, {
      headers: { authorization: auth },
    });
    if (res.status !== 200) {
      throw new Exit(1, `cannot list ${owner}'s modules: ${await reason(res)}`);
    }
    const modules = await res.json() as { name: string }[];
    facts.hostedPaths.push(...modules.map((m) => m.name));
    if (modules.length < 100) break;
  }
  return facts;
}

/** Asks the server to revoke `token`; what happened, as a word. */
async function revoke(
  registry: URL,
  user: string,
  token: string,
): Promise<"revoked" | "invalid" | string> {
  let res: Response;
  try {
    res = await fetch(`${base(registry)}/api/v1/user/tokens/current`, {
      method: "DELETE",
      headers: { authorization: basicAuth(user, token) },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    return `cannot reach ${registry.host}: ${(err as Error).message}`;
  }
  if (res.status === 204) return "revoked";
  if (res.status === 401) {
    await res.body?.cancel();
    return "invalid";
  }
  return `${registry.host} answered ${await reason(res)}`;
}

async function logout(registry: URL): Promise<number> {
  const path = netrcPath();
  const host = netrcHost(registry);
  const text = await readNetrcFile(path);
  const entry = netrcEntryFor(text, host);
  if (entry === null) throw new Exit(1, `${path} has no entry for ${host}`);
  let outcome = "not a token";
  if (entry.password.startsWith(TOKEN_PREFIX)) {
    outcome = await revoke(registry, entry.login, entry.password);
  }
  try {
    await writeNetrcFile(path, removeNetrcEntries(text, host));
  } catch (err) {
    throw new Exit(1, `cannot write ${path}: ${(err as Error).message}`);
  }
  const removed = `removed the entry for ${host} from ${path}`;
  if (outcome === "revoked") {
    console.error(`token revoked; ${removed}`);
  } else if (outcome === "invalid") {
    console.error(`the token was already revoked or expired; ${removed}`);
  } else if (outcome === "not a token") {
    console.error(`the entry held a password, not a token: nothing revoked; ${removed}`);
  } else {
    console.error(
      `warning: could not revoke the token (${outcome}); ${removed}. It may still be valid: ` +
        `revoke it by its "login …" label (GET/DELETE /api/v1/user/tokens, or deno task cli ` +
        `token list/revoke ${entry.login})`,
    );
    return 3;
  }
  return 0;
}
