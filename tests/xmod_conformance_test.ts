// Conformance with golang.org/x/mod's own zip test data (Debian golang-golang-x-mod-dev):
// every case of unzip/ and check_zip/ gets modyard's matching verdict, reason and h1, both
// from the inspection function and through the upload endpoint.
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { hash1 } from "../src/gomod/dirhash.ts";
import { ZipRuleError } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { rawZip } from "./helpers/raw_zip.ts";
import { parseTxtar, type Txtar } from "./helpers/txtar.ts";
import { buildZip } from "./helpers/zip.ts";

const TESTDATA = `${GOCODE}/golang.org/x/mod/zip/testdata`;
const available = goPrerequisites([
  "golang.org/x/mod/zip/testdata/unzip",
  "golang.org/x/mod/zip/testdata/check_zip",
]);
const utf8 = new TextDecoder();

function caseFiles(dir: string): string[] {
  if (!available) return [];
  return [...Deno.readDirSync(`${TESTDATA}/${dir}`)].map((e) => e.name).filter((n) =>
    n.endsWith(".txt")
  ).sort();
}

async function zipOf(archive: Txtar, only?: (name: string) => boolean): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const ordered: [string, Uint8Array][] = [];
  for (const f of archive.files) {
    const name = utf8.decode(f.name);
    if (only && !only(name)) continue;
    ordered.push([name, f.data]);
  }
  // buildZip takes a record; duplicates need distinct keys, so build in order by hand.
  if (new Set(ordered.map(([n]) => n)).size !== ordered.length) {
    return await buildZipWithDuplicates(ordered);
  }
  for (const [n, d] of ordered) files[n] = d;
  return await buildZip(files);
}

async function buildZipWithDuplicates(entries: [string, Uint8Array][]): Promise<Uint8Array> {
  const { BlobWriter, ZipWriter, Uint8ArrayReader } = await import("@zip.js/zip.js");
  const writer = new ZipWriter(new BlobWriter(), { useWebWorkers: false });
  const seen = new Map<string, number>();
  for (const [name, data] of entries) {
    // zip.js refuses duplicate names; add under a unique name, then patch the bytes below.
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    await writer.add(n === 0 ? name : name.replace(/.$/, "\u0001"), new Uint8ArrayReader(data));
  }
  const bytes = new Uint8Array(await (await writer.close()).arrayBuffer());
  // Restore the duplicated names' last character in local and central headers.
  for (const [name] of entries) {
    const alias = new TextEncoder().encode(name.replace(/.$/, "\u0001"));
    const real = new TextEncoder().encode(name);
    for (let i = 0; i + alias.length <= bytes.length; i++) {
      if (alias.every((b, k) => bytes[i + k] === b)) bytes.set(real, i);
    }
  }
  return bytes;
}

const unzipCases = caseFiles("unzip");
const checkZipCases = caseFiles("check_zip");

Deno.test({
  name: "x/mod test data: the expected number of cases was found",
  ignore: !available,
  fn() {
    const expected = [...Deno.readDirSync(`${TESTDATA}/unzip`)].length +
      [...Deno.readDirSync(`${TESTDATA}/check_zip`)].length;
    assertEquals(unzipCases.length + checkZipCases.length, expected);
    assertEquals(unzipCases.length, 15);
    assertEquals(checkZipCases.length, 2);
  },
});

for (const file of unzipCases) {
  Deno.test(`x/mod unzip/${file}: same verdict, reason and h1`, async () => {
    const archive = parseTxtar(await Deno.readFile(`${TESTDATA}/unzip/${file}`));
    const headerText = (k: string) =>
      archive.headers.has(k) ? utf8.decode(archive.headers.get(k)!) : "";
    const path = headerText("path"), version = headerText("version");
    const wantHash = headerText("hash");
    // A module path that is not UTF-8 can only reach an upload as entry names that are not
    // UTF-8, which name no module at all: modyard says so instead of x/mod's reason about
    // the path it was handed.
    const pathIsUtf8 = !archive.headers.get("path")!.some((b) => b >= 0x80);
    const wantErr = pathIsUtf8 || !headerText("wantErr")
      ? headerText("wantErr")
      : 'no zip entry starts with a "module@version/" prefix (first entry: not valid UTF-8)';

    if (archive.files.length === 0 && !wantErr) {
      // The valid empty module: no upload can name it, so the upload is refused (the
      // documented exception); its hash is still x/mod's.
      assertEquals(hash1([]), wantHash);
      const server = await startTestServer();
      try {
        const res = await server.upload("alice", await buildZip({}), await server.user("alice"));
        assertEquals([res.status, await res.text()], [
          400,
          "zip file has no entries, so it names no module\n",
        ]);
      } finally {
        await server.close();
      }
      return;
    }

    // A case without files refuses the module path or version itself: an upload names them
    // through its entries, so it carries one ordinary file under the case's path@version/.
    const zip = archive.files.length > 0 ? await zipOf(archive) : await rawZip([{
      name: new Uint8Array([
        ...archive.headers.get("path")!,
        ...new TextEncoder().encode(`@${version}/doc.go`),
      ]),
      data: new TextEncoder().encode("package m\n"),
    }]);
    let verdict: string;
    try {
      const inspection = await inspectModuleZip(new Uint8ArrayReader(zip));
      assertEquals([inspection.id.path, inspection.id.version], [path, version]);
      verdict = inspection.h1;
    } catch (err) {
      if (!(err instanceof ZipRuleError)) throw err;
      verdict = `refused: ${err.message}`;
    }
    if (wantErr) assertIncludes(verdict, `refused: `), assertIncludes(verdict, wantErr);
    else assertEquals(verdict, wantHash);

    const server = await startTestServer();
    try {
      const res = await server.upload("alice", zip, await server.user("alice"));
      const text = await res.text();
      if (wantErr) {
        assertEquals(res.status, 400, text);
        assertIncludes(text, wantErr);
      } else {
        assertEquals(res.status, 201, text);
        assertEquals(JSON.parse(text).h1, wantHash);
      }
    } finally {
      await server.close();
    }
  });
}

for (const file of checkZipCases) {
  Deno.test(`x/mod check_zip/${file}: same valid and invalid entries, same reasons`, async () => {
    const archive = parseTxtar(await Deno.readFile(`${TESTDATA}/check_zip/${file}`));
    const want = utf8.decode(archive.files.find((f) => utf8.decode(f.name) === "want")!.data);
    const sections = new Map<string, string[]>();
    let section = "";
    for (const line of want.split("\n")) {
      if (/^(valid|omitted|invalid):$/.test(line)) sections.set(section = line.slice(0, -1), []);
      else if (line !== "") sections.get(section)!.push(line);
    }
    const valid = sections.get("valid")!, invalid = sections.get("invalid")!;
    assertEquals(sections.get("omitted"), []); // CheckZip omits nothing
    const zip = await zipOf(archive, (name) => name !== "want");
    const entries = archive.files.filter((f) => utf8.decode(f.name) !== "want");
    let problems: string[] = [];
    try {
      await inspectModuleZip(new Uint8ArrayReader(zip));
    } catch (err) {
      if (!(err instanceof ZipRuleError)) throw err;
      problems = err.message.split("\n");
    }
    if (entries.length === 0) {
      // The empty archive: x/mod checks it against a given module; an upload names none.
      assertEquals(problems, ["zip file has no entries, so it names no module"]);
      assertEquals(valid, []);
      return;
    }
    assertEquals(problems, invalid);
    // Every entry x/mod calls valid is absent from the refusals.
    for (const v of valid) {
      assertEquals(problems.some((p) => p.startsWith(`${v}: `) && !invalid.includes(p)), false);
    }
  });
}
