import { goSumLines, goSumText } from "../src/web/content/go_sum_lines.ts";
import { readZipFile, storedZip } from "../src/web/content/zip_files.ts";
import { assertEquals } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";
import { goModHash1Of, hash1Of } from "./helpers/h1_oracle.ts";
import { openContentStore } from "./helpers/web_content_store.ts";

Deno.test({
  name: "go.sum lines: the two lines of a stored Debian module match an independent h1",
  ignore: !goPrerequisites(["github.com/nxadm/tail"]),
  async fn() {
    const store = await openContentStore();
    try {
      const dir = `${GOCODE}/github.com/nxadm/tail`;
      const record = await store.publishDir(dir, "github.com/nxadm/tail", "v1.4.8");
      const source = storedZip(store.kv, record);
      const { listZipFiles } = await import("../src/web/content/zip_files.ts");
      const files = [];
      for (const f of await listZipFiles(source)) {
        files.push({
          name: `github.com/nxadm/tail@v1.4.8/${f.path}`,
          data: (await readZipFile(source, f.path, f.size))!.bytes,
        });
      }
      const zipH1 = await hash1Of(files);
      const modH1 = await goModHash1Of(await Deno.readFile(`${dir}/go.mod`));
      assertEquals(goSumLines(record), [
        `github.com/nxadm/tail v1.4.8 ${zipH1}`,
        `github.com/nxadm/tail v1.4.8/go.mod ${modH1}`,
      ]);
      assertEquals(
        goSumText(record),
        `github.com/nxadm/tail v1.4.8 ${zipH1}\ngithub.com/nxadm/tail v1.4.8/go.mod ${modH1}\n`,
      );
    } finally {
      store.close();
    }
  },
});

Deno.test("go.sum lines: a module without go.mod hashes the synthesised one", async () => {
  const store = await openContentStore();
  try {
    const record = await store.publishFiles("example.com/nomod", "v1.0.0", {
      "a.go": "package a\n",
    });
    assertEquals(goSumLines(record), [
      `example.com/nomod v1.0.0 ${await hash1Of([{
        name: "example.com/nomod@v1.0.0/a.go",
        data: "package a\n",
      }])}`,
      `example.com/nomod v1.0.0/go.mod ${await goModHash1Of("module example.com/nomod\n")}`,
    ]);
  } finally {
    store.close();
  }
});
