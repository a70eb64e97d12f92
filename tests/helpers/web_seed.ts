/**
 * A registry worth looking at in a browser, seeded through the HTTP API only (admin API,
 * upload, GOPROXY downloads) of a test server: a public user with modules (one with a
 * retracted version, a README, a subdirectory, downloads), a private organisation with a
 * module, a user outside it, and a module whose version a test may delete.
 *
 * @module
 */

import { moduleZip } from "./zip.ts";
import type { TestServer } from "./server.ts";

/** A user who signs in with a password. */
export interface SeedUser {
  /** User name. */
  name: string;
  /** Password (at least 8 characters). */
  password: string;
}

/** What {@link seedWebRegistry} created, for tests to look for. */
export interface WebSeed {
  /** Public user, owner of the public modules and of the organisation `org`. */
  alice: SeedUser;
  /** A user who is no member of `org`. */
  bob: SeedUser;
  /** The private organisation (alice is its owner). */
  org: string;
  /** The public module with versions, README, files, a retraction and downloads. */
  hello: {
    path: string;
    /** Versions in semver order. */
    versions: string[];
    /** The retracted version and the rationale the go.mod gives. */
    retracted: { version: string; rationale: string };
    /** The version whose README and files the tests open. */
    latest: string;
    /** A text file of `latest` (module-relative) and a line of its content. */
    file: { path: string; line: string };
    /** Files of `latest` a browser must never render inline (script in the registry's origin). */
    activeFiles: string[];
    /** Text of the README of `latest`. */
    readmeHeading: string;
    /** `.zip` downloads made per version. */
    downloads: Record<string, number>;
  };
  /** A second public module of alice (the search must leave it out for "hello"). */
  tools: { path: string; version: string };
  /** The private module of `org`. */
  secret: { path: string; version: string };
  /** A public module of alice with two versions, the first for a test to delete. */
  doomed: { path: string; versions: [string, string] };
  /**
   * A public module whose README attacks the page (script, event handlers, `javascript:`
   * links, an iframe), and a sentence of benign text in it that must survive.
   */
  evil: { path: string; version: string; benign: string };
}

/** The attack README: every line tries to run script in the registry's origin. */
export const EVIL_README = `# evil

Benign text survives.

<script>alert("script")</script>
<img src="x" onerror="alert('onerror')">
<a href="javascript:alert('raw link')">raw link</a>
[markdown link](javascript:alert('markdown%20link'))
<a href="JaVaScRiPt:alert('mixed case')">mixed case</a>
<iframe src="javascript:alert('iframe')"></iframe>
<svg onload="alert('svg')"><circle r="4"/></svg>
<p onclick="alert('click')" style="position:fixed;inset:0">cover</p>
`;

const README = `# hello

A friendly greeter for **modyard** demos: prints a greeting and exits.

## Install

\`\`\`sh
go install example.com/hello@latest
\`\`\`

## Usage

| flag | meaning |
| ---- | ------- |
| \`-name\` | whom to greet |
| \`-shout\` | upper-case the greeting |

See the [guide](docs/guide.md) for more, and the [Go blog](https://go.dev/blog/).
`;

const MAIN_GO = `package main

import (
	"flag"
	"fmt"
	"strings"
)

func main() {
	name := flag.String("name", "world", "whom to greet")
	shout := flag.Bool("shout", false, "upper-case the greeting")
	flag.Parse()
	greeting := fmt.Sprintf("Hello, %s!", *name)
	if *shout {
		greeting = strings.ToUpper(greeting)
	}
	fmt.Println(greeting)
}
`;

/** Throws with the status and body unless `res` has status `want`. */
async function expectStatus(res: Response, want: number, what: string): Promise<void> {
  const text = await res.text();
  if (res.status !== want) throw new Error(`${what}: ${res.status} ${text}`);
}

/**
 * Seeds `server` through its HTTP API (an admin token made with {@link TestServer.user} for
 * the bootstrap) and returns what it made. Takes well under a second (uploads are small;
 * passwords are set but never checked here).
 *
 * @example
 * ```ts
 * const server = await startTestServer();
 * const seed = await seedWebRegistry(server);
 * // GET `${server.url}/${seed.alice.name}/${seed.hello.path}` …
 * ```
 */
export async function seedWebRegistry(server: TestServer): Promise<WebSeed> {
  const root = await server.user("root", { admin: true });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: root, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const alice = { name: "alice", password: "alice-correct-horse" };
  const bob = { name: "bob", password: "bob-battery-staple" };
  for (const u of [alice, bob]) {
    await expectStatus(await api("POST", "/api/v1/admin/users", u), 201, `create ${u.name}`);
  }
  const org = "corp";
  await expectStatus(
    await api("POST", "/api/v1/admin/orgs", {
      name: org,
      owner: alice.name,
      visibility: "private",
    }),
    201,
    "create org",
  );

  const publish = async (owner: string, path: string, version: string, files: Files) =>
    await expectStatus(
      await server.upload(owner, await moduleZip(path, version, files), root),
      201,
      `upload ${owner} ${path}@${version}`,
    );

  const hello = "example.com/hello";
  const rationale = "v1.0.0 prints the greeting twice";
  const helloVersions = ["v1.0.0", "v1.1.0", "v1.2.0"];
  for (const version of helloVersions) {
    const retract = version === "v1.0.0" ? "" : `\nretract v1.0.0 // ${rationale}\n`;
    await publish(alice.name, hello, version, {
      "go.mod": `module ${hello}\n\ngo 1.19\n\nrequire example.com/tools v0.3.0\n${retract}`,
      "README.md": README,
      "main.go": MAIN_GO,
      "docs/guide.md": `# Guide\n\nRun \`hello -name gopher\`.\n`,
      "LICENSE": "MIT License\n\nCopyright (c) 2026 Alice\n",
      "docs/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg" onload="alert('svg')"></svg>\n`,
      "docs/page.html": `<!doctype html><script>alert("html")</script>\n`,
    });
  }
  const tools = { path: "example.com/tools", version: "v0.3.0" };
  await publish(alice.name, tools.path, tools.version, {
    "go.mod": `module ${tools.path}\n\ngo 1.19\n`,
    "tools.go": "// Package tools has small helpers.\npackage tools\n",
  });
  const secret = { path: "corp.example.com/secret", version: "v1.0.0" };
  await publish(org, secret.path, secret.version, {
    "go.mod": `module ${secret.path}\n\ngo 1.19\n`,
    "secret.go": "// Package secret is not for everyone.\npackage secret\n",
  });
  const doomed = { path: "example.com/doomed", versions: ["v1.0.0", "v1.1.0"] as [string, string] };
  for (const version of doomed.versions) {
    await publish(alice.name, doomed.path, version, {
      "go.mod": `module ${doomed.path}\n\ngo 1.19\n`,
      "doomed.go": "package doomed\n",
    });
  }

  const evil = {
    path: "example.com/untrusted",
    version: "v0.1.0",
    benign: "Benign text survives.",
  };
  await publish(alice.name, evil.path, evil.version, {
    "go.mod": `module ${evil.path}\n\ngo 1.19\n`,
    "README.md": EVIL_README,
    "untrusted.go": "package untrusted\n",
  });

  const downloads: Record<string, number> = { "v1.0.0": 1, "v1.1.0": 3, "v1.2.0": 6 };
  for (const [version, n] of Object.entries(downloads)) {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${server.proxy(alice.name)}/${hello}/@v/${version}.zip`);
      await expectStatus(res, 200, `download ${hello}@${version}`);
    }
  }

  return {
    alice,
    bob,
    org,
    hello: {
      path: hello,
      versions: helloVersions,
      retracted: { version: "v1.0.0", rationale },
      latest: "v1.2.0",
      file: { path: "main.go", line: `greeting := fmt.Sprintf("Hello, %s!", *name)` },
      activeFiles: ["docs/logo.svg", "docs/page.html"],
      readmeHeading: "Usage",
      downloads,
    },
    tools,
    secret,
    doomed,
    evil,
  };
}

type Files = Record<string, string | Uint8Array>;
