/**
 * The `.netrc` file the `go` command reads (`$NETRC`, else `~/.netrc`): read it, and replace
 * it atomically (a temporary file beside it, renamed over it) with its mode kept, or 0600
 * when it is created. A symbolic link is followed, so a dotfiles link stays a link.
 *
 * @module
 */

/** `$NETRC` when set and non-empty (as the go command reads it), else `$HOME/.netrc`. */
export function netrcPath(): string {
  const env = Deno.env.get("NETRC");
  if (env) return env;
  return `${Deno.env.get("HOME") ?? "."}/.netrc`;
}

/** The file's text, or `""` when it does not exist. */
export async function readNetrcFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

/** What writing did: whether it created the file, and the file's permission bits. */
export interface NetrcWrite {
  /** The file did not exist before. */
  created: boolean;
  /** Permission bits of the file now (0o600 when created). */
  mode: number;
}

/**
 * Replaces the file at `path` with `text` in one rename; a new file gets mode 0600, an
 * existing one keeps its mode.
 */
export async function writeNetrcFile(path: string, text: string): Promise<NetrcWrite> {
  let target = path;
  let mode = 0o600;
  let created = true;
  try {
    target = await Deno.realPath(path);
    mode = (await Deno.stat(target)).mode! & 0o777;
    created = false;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const slash = target.lastIndexOf("/");
  const dir = slash < 0 ? "." : target.slice(0, slash) || "/";
  const name = slash < 0 ? target : target.slice(slash + 1);
  const temp = `${dir}/.${name}.modyard-${crypto.getRandomValues(new Uint8Array(6)).toHex()}`;
  try {
    await Deno.writeTextFile(temp, text, { createNew: true, mode });
    await Deno.chmod(temp, mode); // the umask may have taken bits away; never adds any
    await Deno.rename(temp, target);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  return { created, mode };
}
