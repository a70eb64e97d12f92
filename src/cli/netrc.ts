/**
 * Reading `.netrc` the way the `go` command does: `$NETRC`, else `~/.netrc`; the first
 * `machine` entry for the host wins, then `default`.
 *
 * @module
 */

/** Login and password for a host. */
export interface NetrcEntry {
  /** User name. */
  login: string;
  /** Password or token. */
  password: string;
}

/**
 * Parses netrc text and returns the entry for `host` (or the `default` entry), if any.
 *
 * @example
 * ```ts
 * parseNetrc("machine h login u password p", "h"); // { login: "u", password: "p" }
 * ```
 */
export function parseNetrc(text: string, host: string): NetrcEntry | null {
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  let current: { machine: string | null; login: string; password: string } | null = null;
  let fallback: NetrcEntry | null = null;
  const finish = () => {
    if (!current) return null;
    if (current.machine === host) return { login: current.login, password: current.password };
    if (current.machine === null && !fallback) {
      fallback = { login: current.login, password: current.password };
    }
    return null;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "machine" || t === "default") {
      const hit = finish();
      if (hit) return hit;
      current = { machine: t === "machine" ? tokens[++i] ?? "" : null, login: "", password: "" };
    } else if (t === "macdef") {
      break; // macros end the usable part, as in the go command
    } else if (current && (t === "login" || t === "password" || t === "account")) {
      const v = tokens[++i] ?? "";
      if (t === "login") current.login = v;
      if (t === "password") current.password = v;
    }
  }
  return finish() ?? fallback;
}

/** The netrc entry for `host` from `$NETRC` or `~/.netrc`, or `null`. */
export async function netrcCredentials(host: string): Promise<NetrcEntry | null> {
  const path = Deno.env.get("NETRC") ?? `${Deno.env.get("HOME") ?? ""}/.netrc`;
  try {
    return parseNetrc(await Deno.readTextFile(path), host);
  } catch {
    return null;
  }
}
