// Differential fuzzing against the real golang.org/x/mod: seeded mutants of valid module
// zips (renamed, duplicated, re-cased, directory and nested go.mod entries, truncated,
// bit-flipped) must get x/mod's verdict and h1, except where a documented stricter rule of
// modyard applies. The seed is printed with every failure (MODYARD_FUZZ_SEED replays it).
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { ZipRuleError } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { buildGoHelper, goPrerequisites } from "./helpers/go.ts";
import { type RawEntry, rawZip } from "./helpers/raw_zip.ts";

const MUTANTS = Number(Deno.env.get("MODYARD_FUZZ_MUTANTS") ?? "3000");
const available = goPrerequisites(["golang.org/x/mod/zip", "golang.org/x/mod/sumdb/dirhash"]);

/** modyard refusals that go beyond x/mod on purpose (README, "What is refused"). */
const STRICTER = [
  /directory entries are not allowed/,
  /not a valid zip file/,
  /local file header disagrees/,
  /entry overlaps another entry/,
  /CRC-32 does not match/,
  /inflates to more than its declared size/,
  /entry has \d+ bytes but declares/,
  /cannot read entry/,
  /encrypted entries are not allowed/,
  /compression method \d+ is not allowed/,
  /data (before|after) the archive/,
  /zip64/,
  /go\.mod: /, // the go.mod must parse and name the module
  /\+incompatible suffix not allowed/,
];

const text = (s: string) => new TextEncoder().encode(s);

interface Base {
  path: string;
  version: string;
  entries: RawEntry[];
}

const BASES: Base[] = [
  {
    path: "example.com/m",
    version: "v1.0.0",
    entries: [
      { name: "go.mod", data: text("module example.com/m\n\ngo 1.19\n") },
      { name: "a.go", data: text("package m\n\nfunc A() int { return 1 }\n"), method: 8 },
      { name: "sub/b.go", data: text("package sub\n"), method: 8 },
      { name: "LICENSE", data: text("Permission is granted.\n") },
      { name: "README.md", data: text("# m\n".repeat(50)), method: 8 },
    ],
  },
  {
    path: "example.com/nomod",
    version: "v2.3.0+incompatible",
    entries: [
      { name: "x.go", data: text("package nomod\n") },
      { name: "y/z.txt", data: text("zzz\n"), method: 8 },
    ],
  },
  {
    path: "example.com/m/v2",
    version: "v2.1.0-rc.1",
    entries: [
      { name: "go.mod", data: text("module example.com/m/v2\n") },
      { name: "internal/i.go", data: text("package internal\n"), method: 8 },
    ],
  },
];

const INSERTS = [
  "../",
  "./",
  "/",
  "A",
  ".",
  "~1",
  " ",
  "'",
  "\\",
  "//",
  "go.mod",
  "GO.MOD",
  "é",
  "sub/",
  "CON",
  "*",
];

function mutate(base: Base, rand: () => number): RawEntry[] {
  const prefix = `${base.path}@${base.version}/`;
  const entries = base.entries.map((e) => ({ ...e, name: prefix + (e.name as string) }));
  const pick = (n: number) => Math.floor(rand() * n);
  const rounds = 1 + pick(3);
  for (let r = 0; r < rounds; r++) {
    const i = pick(entries.length);
    const name = entries[i].name as string;
    switch (pick(8)) {
      case 0: { // insert a fragment into the relative part
        const rel = name.slice(prefix.length);
        const at = pick(rel.length + 1);
        entries[i] = {
          ...entries[i],
          name: prefix + rel.slice(0, at) + INSERTS[pick(INSERTS.length)] + rel.slice(at),
        };
        break;
      }
      case 1: // duplicate an entry, sometimes with other content
        entries.push({ ...entries[i], data: rand() < 0.5 ? entries[i].data : text("other\n") });
        break;
      case 2: { // re-case the relative part
        const rel = name.slice(prefix.length);
        if (rel === "") break;
        entries.push({
          ...entries[i],
          name: prefix + (rand() < 0.5 ? rel.toUpperCase() : rel[0].toUpperCase() + rel.slice(1)),
        });
        break;
      }
      case 3: // a directory entry
        entries.splice(pick(entries.length + 1), 0, {
          name: prefix + ["sub/", "", "new/"][pick(3)],
          data: new Uint8Array(),
        });
        break;
      case 4: // a nested go.mod
        entries.push({
          name: prefix + ["sub/go.mod", "sub/GO.MOD", "Go.Mod"][pick(3)],
          data: text("module example.com/m/sub\n"),
        });
        break;
      case 5: { // another prefix on one entry
        const other =
          [`${base.path}@v1.0.1/`, `${base.path}/`, `Example.com@${base.version}/`, ""][pick(4)];
        entries[i] = { ...entries[i], name: other + name.slice(prefix.length) };
        break;
      }
      case 6: // remove an entry
        if (entries.length > 1) entries.splice(i, 1);
        break;
      case 7: // reorder
        entries.reverse();
        break;
    }
  }
  return entries;
}

function bytesMutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  const r = rand();
  if (r < 0.7) return bytes;
  if (r < 0.8) return bytes.slice(0, pick(bytes.length));
  const out = bytes.slice();
  for (let k = 0; k < 1 + pick(4); k++) out[pick(out.length)] ^= 1 << pick(8);
  return out;
}

async function ourVerdict(
  zip: Uint8Array,
  base: Base,
): Promise<{ ok: boolean; err: string; h1: string }> {
  try {
    const got = await inspectModuleZip(new Uint8ArrayReader(zip));
    if (got.id.path !== base.path || got.id.version !== base.version) {
      return { ok: false, err: `names ${got.id.path}@${got.id.version}`, h1: "" };
    }
    return { ok: true, err: "", h1: got.h1 };
  } catch (err) {
    if (err instanceof ZipRuleError) return { ok: false, err: err.message, h1: "" };
    throw err;
  }
}

Deno.test({
  name:
    `differential: ${MUTANTS} mutants get x/mod's verdict and h1 (or a documented stricter refusal)`,
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "modyard-diff-" });
    try {
      const xmodcheck = await buildGoHelper("xmodcheck", dir);

      const seed = Number(Deno.env.get("MODYARD_FUZZ_SEED") ?? Date.now() % 1e9);
      let state = seed;
      const rand = () => (state = (state * 48271) % 2147483647) / 2147483647;
      const cases: { base: Base; zip: Uint8Array; file: string }[] = [];
      for (let i = 0; i < MUTANTS; i++) {
        const base = BASES[i % BASES.length];
        const zip = bytesMutate(await rawZip(mutate(base, rand)), rand);
        const file = `${dir}/m${i}.zip`;
        await Deno.writeFile(file, zip);
        cases.push({ base, zip, file });
      }
      const helper = new Deno.Command(xmodcheck, { stdin: "piped", stdout: "piped" })
        .spawn();
      const output = helper.output(); // read while writing, or both pipes fill up
      const w = helper.stdin.getWriter();
      await w.write(
        text(cases.map((c) => `${c.base.path}\t${c.base.version}\t${c.file}\n`).join("")),
      );
      await w.close();
      const answers = new TextDecoder().decode((await output).stdout).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assertEquals(answers.length, cases.length);

      const tally = { bothAccept: 0, bothRefuse: 0, stricter: 0 };
      for (const [i, c] of cases.entries()) {
        const xmod = answers[i];
        const ours = await ourVerdict(c.zip, c.base);
        const where = `seed ${seed}, mutant ${i} (${c.file}): x/mod ${
          JSON.stringify(xmod)
        }, modyard ${JSON.stringify(ours)}`;
        if (xmod.ok && ours.ok) {
          assertEquals(ours.h1, xmod.h1, where);
          tally.bothAccept++;
        } else if (!xmod.ok && !ours.ok) {
          tally.bothRefuse++;
        } else if (xmod.ok && !ours.ok) {
          assertOk(STRICTER.some((rule) => rule.test(ours.err)), `undocumented refusal: ${where}`);
          tally.stricter++;
        } else {
          throw new Error(`modyard accepted what x/mod refuses: ${where}`);
        }
      }
      console.log(`differential (seed ${seed}):`, tally);
      assertOk(
        tally.bothAccept > 0 && tally.bothRefuse > 0,
        `degenerate corpus: ${JSON.stringify(tally)}`,
      );
    } finally {
      // MODYARD_FUZZ_KEEP=1 keeps the mutants for inspection.
      if (!Deno.env.get("MODYARD_FUZZ_KEEP")) await Deno.remove(dir, { recursive: true });
    }
  },
});
