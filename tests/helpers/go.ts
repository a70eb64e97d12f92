/**
 * Running the real `go` command in tests, with a fresh GOPATH, module cache and build
 * cache, and nothing but the given GOPROXY to fetch from.
 *
 * @module
 */

/**
 * Longest one `go` command may run before it is killed and the test fails, so a hang fails
 * CI instead of stalling it (`MODYARD_GO_TIMEOUT_MS`, default 5 minutes: a cold build of
 * the end-to-end modules on 2 shared cores takes about one).
 */
export const GO_TIMEOUT_MS = Number(Deno.env.get("MODYARD_GO_TIMEOUT_MS") ?? 300_000);

/**
 * Runs a command to completion, killing it (SIGTERM) after `timeoutMs`; throws then, naming
 * `what` and the limit, instead of returning the killed process's output.
 *
 * @example
 * ```ts
 * const out = await outputWithin("go", { args: ["version"] }, 60_000, "go version");
 * ```
 */
export async function outputWithin(
  command: string,
  options: Deno.CommandOptions,
  timeoutMs: number,
  what: string,
): Promise<Deno.CommandOutput> {
  const signal = AbortSignal.timeout(timeoutMs);
  const out = await new Deno.Command(command, { ...options, signal }).output();
  if (signal.aborted) { // killed by the timeout, whatever its exit code (SIGTERM may exit 0)
    throw new Error(`${what} did not finish within ${timeoutMs / 1000} s and was killed`);
  }
  return out;
}

/** Where Debian puts Go module sources. */
export const GOCODE = "/usr/share/gocode/src";

/** The `go` binary, or `null` when it is not installed. */
export function findGo(): string | null {
  for (const candidate of ["/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"]) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* next */ }
  }
  return null;
}

/**
 * Whether tests that need `go` and Debian's sources (the named paths under GOCODE) can run.
 * In CI a missing prerequisite is an error, so the suite fails loudly; elsewhere the tests
 * are skipped with a message saying what to install.
 */
export function goPrerequisites(sources: string[]): boolean {
  const missing: string[] = [];
  if (findGo() === null) missing.push("the go command (apt-get install golang-go)");
  for (const s of sources) {
    try {
      Deno.statSync(`${GOCODE}/${s}`);
    } catch {
      missing.push(`${GOCODE}/${s} (a golang-*-dev package)`);
    }
  }
  if (missing.length === 0) return true;
  const message = `end-to-end prerequisites missing: ${missing.join(", ")}`;
  if (Deno.env.get("CI")) throw new Error(message);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

/** A sandbox for `go` commands: its own GOPATH, caches and HOME. */
export interface GoSandbox {
  /** Root directory (removed by `cleanup`). */
  dir: string;
  /**
   * Runs `go args…` in `cwd` with the sandbox environment plus `env`; throws if it takes
   * longer than `timeoutMs` (default {@link GO_TIMEOUT_MS}).
   */
  run(
    args: string[],
    cwd: string,
    env?: Record<string, string>,
    timeoutMs?: number,
  ): Promise<GoResult>;
  /** Removes the sandbox. */
  cleanup(): Promise<void>;
}

/** Output of one `go` command. */
export interface GoResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Creates a sandbox that fetches modules only from `goproxy`. */
export async function goSandbox(goproxy: string): Promise<GoSandbox> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-go-" });
  const goBin = findGo()!;
  const base: Record<string, string> = {
    PATH: `${dir}/gopath/bin:/usr/bin:/bin`,
    HOME: `${dir}/home`,
    GOPATH: `${dir}/gopath`,
    GOMODCACHE: `${dir}/gopath/pkg/mod`,
    GOCACHE: `${dir}/gocache`,
    GOPROXY: goproxy,
    GOSUMDB: "off",
    GOFLAGS: "-mod=mod",
    GO111MODULE: "on",
    CGO_ENABLED: "0",
    GOTOOLCHAIN: "local",
  };
  await Deno.mkdir(`${dir}/home`, { recursive: true });
  return {
    dir,
    async run(args, cwd, env = {}, timeoutMs = GO_TIMEOUT_MS) {
      const out = await outputWithin(
        goBin,
        {
          args,
          cwd,
          env: { ...base, ...env },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        },
        timeoutMs,
        `go ${args.join(" ")}`,
      );
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    },
    async cleanup() {
      // The module cache is read-only on purpose; make it writable to remove it.
      await outputWithin("chmod", { args: ["-R", "u+w", dir] }, 60_000, `chmod -R u+w ${dir}`);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Builds a Go helper of `tools/NAME` in GOPATH mode against the x/mod Debian ships; returns
 * the binary's path (inside `outDir`). Fails the test with the compiler's output.
 */
export async function buildGoHelper(name: string, outDir: string): Promise<string> {
  const binary = `${outDir}/${name}`;
  const build = await outputWithin(
    findGo()!,
    {
      args: ["build", "-o", binary, "."],
      cwd: new URL(`../../tools/${name}`, import.meta.url).pathname,
      env: {
        GO111MODULE: "off",
        GOPATH: "/usr/share/gocode",
        GOCACHE: `${outDir}/gocache`,
        HOME: outDir,
        GOFLAGS: "",
      },
      stderr: "piped",
    },
    GO_TIMEOUT_MS,
    `building ${name}`,
  );
  if (build.code !== 0) {
    throw new Error(`building ${name}: ${new TextDecoder().decode(build.stderr)}`);
  }
  return binary;
}
