/**
 * `login URL` and `logout URL`: a token for this machine in `.netrc`, and the `go`
 * command's settings for the registry.
 *
 * @module
 */

/** Runs `login` or `logout`; resolves to the exit code. */
export function loginCommand(
  command: "login" | "logout",
  _args: string[],
  _flags: Map<string, string | true>,
): Promise<number> {
  console.error(`error: ${command} is not implemented yet`);
  return Promise.resolve(2);
}
