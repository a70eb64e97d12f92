// The publish command's file selection and zips against golang.org/x/mod's own test data
// for building zips: create/, create_from_dir/, check_dir/, check_files/.
import { buildModuleZip } from "../src/cli/build_zip.ts";
import { describe, filesFromDir, type ModuleFiles } from "../src/cli/module_source.ts";
import { checkFiles, type SourceEntry } from "../src/gomod/file_select.ts";
import { checkModulePath, checkModuleVersion } from "../src/gomod/path.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";
import { parseTxtar, type Txtar } from "./helpers/txtar.ts";

const TESTDATA = `${GOCODE}/golang.org/x/mod/zip/testdata`;
const DIRS = ["create", "create_from_dir", "check_dir", "check_files"] as const;
const available = goPrerequisites(DIRS.map((d) => `golang.org/x/mod/zip/testdata/${d}`));
const utf8 = new TextDecoder();

function cases(dir: string): string[] {
  if (!available) return [];
  return [...Deno.readDirSync(`${TESTDATA}/${dir}`)].map((e) => e.name).filter((n) =>
    n.endsWith(".txt")
  ).sort();
}

function header(a: Txtar, key: string): string {
  return a.headers.has(key) ? utf8.decode(a.headers.get(key)!) : "";
}

function sections(a: Txtar): { name: string; data: Uint8Array }[] {
  return a.files.map((f) => ({ name: utf8.decode(f.name), data: f.data })).filter((f) =>
    f.name !== "want"
  );
}

/** Files given as a list (x/mod's Create), readable from memory. */
function listedFiles(files: { name: string; data: Uint8Array }[]): ModuleFiles {
  const entries: SourceEntry[] = files.map((f) => ({
    path: f.name,
    kind: "file",
    size: f.data.length,
  }));
  const goMod = files.find((f) => f.name === "go.mod");
  const goLine = goMod ? /^\s*go\s+(\S+)/m.exec(utf8.decode(goMod.data))?.[1] ?? "" : "";
  return {
    selection: checkFiles(entries, goLine),
    open: (path) =>
      Promise.resolve(
        new Blob([files.find((f) => f.name === path)!.data as Uint8Array<ArrayBuffer>]).stream(),
      ),
  };
}

/** Writes the txtar's files into a fresh directory (for the directory-walking cases). */
async function materialize(files: { name: string; data: Uint8Array }[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-xmod-" });
  for (const f of files) {
    const path = `${dir}/${f.name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, f.data);
  }
  return dir;
}

/** Our verdict for building a zip: the h1, or the refusal text. */
async function verdict(
  path: string,
  version: string,
  files: ModuleFiles,
  hasGoMod: boolean,
): Promise<string> {
  const moduleErr = checkModulePath(path) ?? checkModuleVersion(path, version, hasGoMod);
  if (moduleErr) return `refused: ${moduleErr}`;
  const problems = describe(files.selection.invalid);
  if (files.selection.sizeError) problems.push(files.selection.sizeError);
  if (problems.length) return `refused: ${problems.join("\n")}`;
  const out = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    return (await buildModuleZip(files, path, version, out)).h1;
  } finally {
    await Deno.remove(out);
  }
}

let ran = 0;

for (const dir of ["create", "create_from_dir"] as const) {
  for (const file of cases(dir)) {
    Deno.test(`x/mod ${dir}/${file}: same files, same h1 or refusal`, async () => {
      const a = parseTxtar(await Deno.readFile(`${TESTDATA}/${dir}/${file}`));
      const files = sections(a);
      const hasGoMod = files.some((f) => f.name === "go.mod");
      let got: string;
      if (dir === "create") {
        got = await verdict(header(a, "path"), header(a, "version"), listedFiles(files), hasGoMod);
      } else {
        const root = await materialize(files);
        try {
          got = await verdict(
            header(a, "path"),
            header(a, "version"),
            await filesFromDir(root),
            hasGoMod,
          );
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      }
      const wantErr = header(a, "wantErr");
      if (wantErr) {
        assertIncludes(got, "refused: ");
        const pathBytesValid = !(a.headers.get("path") ?? new Uint8Array()).some((b) => b >= 0x80);
        assertIncludes(
          got,
          pathBytesValid ? wantErr : wantErr.slice(wantErr.lastIndexOf(": ") + 2),
        );
      } else {
        assertEquals(got, header(a, "hash"));
      }
      ran++;
    });
  }
}

/** Parses a `-- want --` section into its three lists. */
function want(a: Txtar): Record<"valid" | "omitted" | "invalid", string[]> {
  const text = utf8.decode(a.files.find((f) => utf8.decode(f.name) === "want")!.data);
  const out = { valid: [] as string[], omitted: [] as string[], invalid: [] as string[] };
  let section: keyof typeof out | null = null;
  for (const line of text.split("\n")) {
    if (/^(valid|omitted|invalid):$/.test(line)) section = line.slice(0, -1) as keyof typeof out;
    else if (line !== "" && section) out[section].push(line);
  }
  return out;
}

for (const dir of ["check_files", "check_dir"] as const) {
  for (const file of cases(dir)) {
    Deno.test(`x/mod ${dir}/${file}: same valid, omitted and invalid files`, async () => {
      const a = parseTxtar(await Deno.readFile(`${TESTDATA}/${dir}/${file}`));
      const files = sections(a);
      let got;
      if (dir === "check_files") {
        got = listedFiles(files).selection;
        assertEquals(
          {
            valid: got.valid.map((f) => f.path),
            omitted: describe(got.omitted),
            invalid: describe(got.invalid),
          },
          want(a),
        );
      } else {
        const root = await materialize(files);
        try {
          got = (await filesFromDir(root)).selection;
        } finally {
          await Deno.remove(root, { recursive: true });
        }
        const work = (l: string) => `$work/${l}`;
        const expected = want(a);
        // CheckDir reports in walk order; compare as sets of lines.
        assertEquals(
          {
            valid: got.valid.map((f) => work(f.path)).sort(),
            omitted: describe(got.omitted).map(work).sort(),
            invalid: describe(got.invalid).map(work).sort(),
          },
          {
            valid: expected.valid.sort(),
            omitted: expected.omitted.sort(),
            invalid: expected.invalid.sort(),
          },
        );
      }
      ran++;
    });
  }
}

Deno.test({
  name: "x/mod build-zip test data: every case ran",
  ignore: !available,
  fn() {
    const total = DIRS.reduce((n, d) => n + [...Deno.readDirSync(`${TESTDATA}/${d}`)].length, 0);
    assertEquals(ran, total);
    assertEquals(total, 31);
  },
});
