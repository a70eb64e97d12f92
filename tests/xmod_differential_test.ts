// Differential fuzzing against the real golang.org/x/mod: seeded mutants of valid module
// zips (renamed, duplicated, re-cased, directory and nested go.mod entries, replaced go.mod
// texts, truncated, bit-flipped) must get x/mod's verdict and h1. A refusal x/mod does not
// make is allowed only for a documented stricter rule (README, "Stricter than x/mod") whose
// premise x/mod itself confirms where it can (for go.mod: modfile.ParseLax's own error or
// module path); when both refuse, modyard must give x/mod's reasons (x/mod's wording is
// reproduced). The seed is printed with every failure (MODYARD_FUZZ_SEED replays it).
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { ZipRuleError } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { buildGoHelper, goPrerequisites } from "./helpers/go.ts";
import { type RawEntry, rawZip } from "./helpers/raw_zip.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";

const MUTANTS = Number(Deno.env.get("MODYARD_FUZZ_MUTANTS") ?? "3000");
const available = goPrerequisites(["golang.org/x/mod/zip", "golang.org/x/mod/sumdb/dirhash"]);

/**
 * modyard's refusals of archive details x/mod does not look at (README, "Stricter than
 * x/mod"): directory entries, and the archive-format rules. The go.mod and +incompatible
 * rules are judged separately, against what x/mod says of the go.mod.
 */
const DIRECTORY_ENTRY = /\/: directory entries are not allowed: /;
const ARCHIVE_FORMAT = [
  /^not a valid zip file: data (before|after) the archive is not allowed$/,
  /^not a valid zip file: no end of central directory record ends the file$/,
  /: local file header disagrees with the central directory \(.*\)$/,
  /: entry overlaps another entry$/,
  /: CRC-32 does not match the content$/,
  /: entry inflates to more than its declared size( of \d+ bytes)?$/,
  /: entry has \d+ bytes but declares \d+$/,
  /: encrypted entries are not allowed$/,
  /: compression method \d+ is not allowed \(only stored and deflate\)$/,
  /zip64 end of central directory record disagrees with the classic record$/,
  /^not a valid zip file: split \(multi-disk\) archives are not allowed: the end record must name disk 0$/,
  /^not a valid zip file: the central directory size disagrees with its entries \(trailing central directory data\)$/,
  /^not a valid zip file: the central directory offset disagrees with where the directory is$/,
  /^not a valid zip file: more than one end record ends the file$/,
  /^not a valid zip file: an entry name appears twice in the central directory$/,
];
/**
 * Archive-level failures: x/mod's reader (archive/zip, compress/flate) and modyard's reader
 * name them differently, so when both sides refuse for such a reason only the kind is
 * compared, not the words.
 */
const XMOD_ARCHIVE_ERROR = /^(zip: |flate: |unexpected EOF$|EOF$)/;
const OUR_ARCHIVE_ERROR = [
  ...ARCHIVE_FORMAT,
  /^not a valid zip file: /,
  /: cannot read entry: /,
  /^zip entry name is not valid UTF-8$/,
];
/** A line of x/mod CheckZip's FileErrorList, by the rule it names. */
const XMOD_RULE_LINE =
  /: (path does not have prefix "|malformed file path "|file path is not clean$|go\.mod file not in module root directory$|go\.mod files must have lowercase names$|multiple entries for file "|case-insensitive file name collision: "|entry ".*" is both a file and a directory$|(go\.mod|LICENSE) file too large \(max size is \d+ bytes\)$)/;
/** x/mod's size errors, which name no entry. */
const SIZE_ERROR =
  /^(total uncompressed size of module contents too large \(max size is \d+ bytes\)|module zip file is too large \(\d+ bytes; limit is \d+ bytes\))$/;
/** Refusals of the module a zip names (path, version, prefix): they depend on which entry
 * names the module, which x/mod is told and modyard reads from the first entry. */
const OUR_IDENTITY_ERROR = [
  /^malformed module path /,
  /: invalid version: /,
  /^version ".*" is not canonical/,
  /^no zip entry starts with a "module@version\/" prefix/,
  /^module path is too long/,
  /^version is too long/,
  /^names \S+@\S+$/,
  /: path does not have prefix "/,
  /^zip entry name is not valid UTF-8$/,
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

/** go.mod texts a mutant may carry: valid ones, ones ParseLax refuses, other module paths. */
const GO_MODS = [
  "module {path}\n",
  "module {path}\n\ngo 1.19\n",
  "module {path}\n\ngo 1.21.0\ntoolchain go1.22.1\n",
  "module {path}\ngo 1.19rc1\n",
  "module {path}\ngo 1.19.x\n", // lax: accepted (truncated to 1.19)
  "module {path}\ngo 1\n",
  "module {path}\ngo 1.19 1.20\n",
  "module {path}\ngo 1.19\ngo 1.20\n",
  '// comment\nmodule "{path}"\n',
  "module {path}\nrequire (\n\texample.com/x v1.0.0\n",
  "module {path}\nrequire example.com/x v1.0.0\nreplace example.com/x => ../x\n",
  "module {path}\nretract v0.9.0 // broken\nretract [v0.1.0, v0.2.0]\n",
  "module {path}\nretract\n",
  "module {path}\nunknown directive here\n",
  'module "{path}\n',
  "module {path}\nmodule {path}\n",
  "module {path} extra\n",
  "module example.com/other\n",
  "go 1.19\n",
  "",
  "module {path}\n)\n",
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
    switch (pick(9)) {
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
      case 8: { // replace (or add) the root go.mod's text
        const goMod = text(GO_MODS[pick(GO_MODS.length)].replaceAll("{path}", base.path));
        const at = entries.findIndex((e) => e.name === prefix + "go.mod");
        if (at >= 0) entries[at] = { ...entries[at], data: goMod };
        else entries.push({ name: prefix + "go.mod", data: goMod, method: 8 });
        break;
      }
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

/**
 * x/mod's "name: reason" line with the name Go-quoted when it holds control characters,
 * as modyard writes it (`"a\rb": …`). Written here rather than imported, so the test does
 * not share the quoting code it checks.
 */
function quoteControlName(line: string): string {
  const colon = line.search(
    /: (path does not have prefix|malformed file path|file path is not clean|go\.mod|multiple entries|case-insensitive|entry ")/,
  );
  if (colon < 0) return line;
  const escapes: Record<string, string> = {
    "\x07": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
  };
  let quoted = "", control = false;
  for (const ch of line.slice(0, colon)) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) control = true;
    if (ch === '"' || ch === "\\") quoted += "\\" + ch;
    else if (escapes[ch]) quoted += escapes[ch];
    else if (code < 0x20 || code === 0x7f) quoted += "\\x" + code.toString(16).padStart(2, "0");
    else quoted += ch;
  }
  return control ? `"${quoted}"${line.slice(colon)}` : line;
}

interface Case {
  base: Base;
  /** The entries before any byte-level mutation. */
  entries: RawEntry[];
  zip: Uint8Array;
  file: string;
  /** Whether bytes were truncated or flipped after building (names may have changed). */
  bytesChanged: boolean;
}

interface XmodAnswer {
  ok: boolean;
  err: string;
  h1: string;
  gomod?: boolean;
  gomod_err?: string;
  gomod_module?: string;
}

const matchesAny = (line: string, rules: RegExp[]) => rules.some((r) => r.test(line));

/**
 * Compares one mutant's verdicts; returns the kind of agreement, or a string starting with
 * "FAIL" saying what is wrong.
 */
function judge(c: Case, xmod: XmodAnswer, ours: { ok: boolean; err: string; h1: string }): string {
  const prefix = `${c.base.path}@${c.base.version}/`;
  if (xmod.ok && ours.ok) {
    if (ours.h1 !== xmod.h1) return "FAIL: same verdict, different h1";
    if (xmod.gomod_err) return "FAIL: modyard accepted a go.mod x/mod's lax parser refuses";
    if (xmod.gomod && xmod.gomod_module !== c.base.path) {
      return "FAIL: modyard accepted a go.mod naming another module";
    }
    return "both accept";
  }
  if (!xmod.ok && ours.ok) return "FAIL: modyard accepted what x/mod refuses";
  const lines = ours.err.split("\n");
  if (xmod.ok) {
    // Only a documented stricter rule may refuse what x/mod accepts, and only when its
    // premise holds.
    if (lines.every((l) => DIRECTORY_ENTRY.test(l) || matchesAny(l, ARCHIVE_FORMAT))) {
      if (lines.some((l) => DIRECTORY_ENTRY.test(l))) return "stricter: directory entry";
      return "stricter: archive format";
    }
    if (ours.err.startsWith(`${prefix}go.mod: `)) {
      const reason = ours.err.slice(`${prefix}go.mod: `.length);
      if (!xmod.gomod) return "FAIL: a go.mod refusal for a zip without a root go.mod";
      if (xmod.gomod_err) {
        // The premise is x/mod's; the words are modyard's own (the README promises x/mod's
        // wording for x/mod's rules, not for this stricter one), so they are only tallied.
        return reason === xmod.gomod_err.split("\n")[0]
          ? "stricter: go.mod does not parse"
          : "stricter: go.mod does not parse (in other words than x/mod's)";
      }
      const named = xmod.gomod_module ?? "";
      if (named === c.base.path) {
        return "FAIL: go.mod refused, but x/mod parses it and it names the module";
      }
      return reason ===
          `module line says ${JSON.stringify(named)}, but the zip is for ${
            JSON.stringify(c.base.path)
          }`
        ? "stricter: go.mod names another module"
        : "FAIL: go.mod naming another module refused with another reason";
    }
    if (/\+incompatible suffix not allowed/.test(ours.err)) {
      return c.base.version.endsWith("+incompatible") && xmod.gomod
        ? "stricter: +incompatible with a go.mod"
        : "FAIL: +incompatible refusal without a go.mod";
    }
    return "FAIL: refusal of what x/mod accepts, by no documented stricter rule";
  }

  // Both refuse: the reasons must be x/mod's. modyard quotes entry names that hold control
  // characters (so one reason stays one line); x/mod's lines are compared in that form.
  const xlines = xmod.err.split("\n").map(quoteControlName);
  const known = (l: string) =>
    matchesAny(l, OUR_IDENTITY_ERROR) || DIRECTORY_ENTRY.test(l) || XMOD_RULE_LINE.test(l) ||
    SIZE_ERROR.test(l);
  if (XMOD_ARCHIVE_ERROR.test(xmod.err)) {
    // x/mod's reader gave up on damaged bytes before any entry rule: modyard must refuse at
    // the archive level too, or for an entry rule the same damage breaks first in its order.
    return lines.every((l) => matchesAny(l, OUR_ARCHIVE_ERROR) || known(l))
      ? "both refuse, archive error"
      : "FAIL: x/mod cannot read the archive, modyard refuses for another reason";
  }
  if (SIZE_ERROR.test(xmod.err)) {
    // x/mod reports only the size error when there is one; modyard lists it with the rest.
    if (lines.includes(xmod.err) && lines.every((l) => known(l) || matchesAny(l, ARCHIVE_FORMAT))) {
      return "both refuse, size limit";
    }
    // Damaged size fields often damage the archive's structure, which modyard checks first.
    return c.bytesChanged && lines.every((l) => matchesAny(l, OUR_ARCHIVE_ERROR))
      ? "both refuse, damaged archive"
      : "FAIL: x/mod refuses a size, modyard does not say so";
  }
  const firstEntryNamesBase = typeof c.entries[0]?.name === "string" &&
    (c.entries[0].name as string).startsWith(prefix);
  if (!firstEntryNamesBase || c.bytesChanged) {
    // modyard reads the module from the first entry; when that one has another prefix (or
    // bytes were damaged), it judges the archive as another module's (or as naming a
    // malformed one), so only the kinds of reasons can be compared.
    if (lines.every((l) => known(l) || xlines.includes(l))) {
      return "both refuse, module named differently";
    }
    if (c.bytesChanged && lines.every((l) => matchesAny(l, OUR_ARCHIVE_ERROR) || known(l))) {
      return "both refuse, damaged archive";
    }
    return "FAIL: refused for another reason than x/mod's";
  }
  const stricter = lines.filter((l) => DIRECTORY_ENTRY.test(l) || matchesAny(l, ARCHIVE_FORMAT));
  const rest = lines.filter((l) => !stricter.includes(l));
  if (stricter.length === 0) {
    return JSON.stringify(lines) === JSON.stringify(xlines)
      ? "both refuse, same reasons"
      : "FAIL: both refuse, with other reasons than x/mod's";
  }
  // With a directory entry refused, x/mod's collisions involving that directory cannot
  // appear, and an entry under it may break another rule first; every other reason must
  // still be one of x/mod's, or name an entry x/mod refuses too.
  const entryOf = (l: string) => {
    const at = l.search(XMOD_RULE_LINE);
    return at < 0 ? null : l.slice(0, at);
  };
  const xEntries = new Set(xlines.map(entryOf));
  return rest.every((l) => xlines.includes(l) || (entryOf(l) !== null && xEntries.has(entryOf(l))))
    ? "both refuse, stricter rule among x/mod's reasons"
    : "FAIL: both refuse, with other reasons than x/mod's beside a stricter rule";
}

Deno.test({
  name:
    `differential: ${MUTANTS} mutants get x/mod's verdict and h1 (or a documented stricter refusal)`,
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "modyard-diff-" });
    try {
      const xmodcheck = await buildGoHelper("xmodcheck", dir);

      const seed = testSeed("MODYARD_FUZZ_SEED");
      const rand = seededRandom(seed);
      const cases: Case[] = [];
      for (let i = 0; i < MUTANTS; i++) {
        const base = BASES[i % BASES.length];
        const entries = mutate(base, rand);
        const built = await rawZip(entries);
        const zip = bytesMutate(built, rand);
        const file = `${dir}/m${i}.zip`;
        await Deno.writeFile(file, zip);
        cases.push({ base, entries, zip, file, bytesChanged: zip !== built });
      }
      const helper = new Deno.Command(xmodcheck, {
        stdin: "piped",
        stdout: "piped",
        signal: AbortSignal.timeout(300_000), // a hung helper fails the test instead of CI
      }).spawn();
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

      const tally: Record<string, number> = {};
      for (const [i, c] of cases.entries()) {
        const xmod: XmodAnswer = answers[i];
        const ours = await ourVerdict(c.zip, c.base);
        const where = `seed ${seed}, mutant ${i} (${c.file}): x/mod ${
          JSON.stringify(xmod)
        }, modyard ${JSON.stringify(ours)}`;
        const outcome = judge(c, xmod, ours);
        if (outcome.startsWith("FAIL")) throw new Error(`${outcome}: ${where}`);
        tally[outcome] = (tally[outcome] ?? 0) + 1;
      }
      console.log(`differential (seed ${seed}):`, tally);
      // The corpus must exercise every comparison, or a generator change could hollow it out.
      for (
        const needed of [
          "both accept",
          "both refuse, same reasons",
          "both refuse, archive error",
          "stricter: directory entry",
          "stricter: go.mod does not parse",
          "stricter: go.mod names another module",
          "stricter: +incompatible with a go.mod",
        ]
      ) {
        assertOk(
          Object.keys(tally).some((k) => k.startsWith(needed)),
          `seed ${seed}: no "${needed}" case in ${JSON.stringify(tally)}`,
        );
      }
    } finally {
      // MODYARD_FUZZ_KEEP=1 keeps the mutants for inspection.
      if (!Deno.env.get("MODYARD_FUZZ_KEEP")) await Deno.remove(dir, { recursive: true });
    }
  },
});
