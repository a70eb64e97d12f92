/**
 * Stored module versions for the web content tests: a zip published into an in-memory
 * store through the real publish use case, so the readers see exactly what the server keeps.
 *
 * @module
 */

import { buildModuleZip } from "../../src/cli/build_zip.ts";
import { filesFromDir } from "../../src/cli/module_source.ts";
import { createUser } from "../../src/registry/accounts.ts";
import { publishModule } from "../../src/registry/publish.ts";
import { keys } from "../../src/store/keys.ts";
import { openStore } from "../../src/store/open_store.ts";
import type { VersionRecord } from "../../src/store/records.ts";
import { moduleZip } from "./zip.ts";

/** An in-memory store with one owner to publish to. */
export interface ContentStore {
  /** The store. */
  kv: Deno.Kv;
  /** Publishes a zip as `owner`; returns the stored version record. */
  publish(zip: Uint8Array): Promise<VersionRecord>;
  /** Publishes files (relative to the module root) as `module@version`. */
  publishFiles(
    module: string,
    version: string,
    files: Record<string, string | Uint8Array>,
  ): Promise<VersionRecord>;
  /** Publishes a directory of Go sources (selected as the publish command selects them). */
  publishDir(dir: string, module: string, version: string): Promise<VersionRecord>;
  /** Closes the store. */
  close(): void;
}

/** The owner the content tests publish as. */
export const CONTENT_OWNER = "gopher";

/** Opens an in-memory store with the owner {@link CONTENT_OWNER}. */
export async function openContentStore(): Promise<ContentStore> {
  const kv = await openStore(":memory:");
  await createUser(kv, CONTENT_OWNER, {});
  const publish = async (zip: Uint8Array) => {
    const body = new Blob([zip as Uint8Array<ArrayBuffer>]).stream();
    const result = await publishModule(
      kv,
      CONTENT_OWNER,
      { name: CONTENT_OWNER, client: "test" },
      body,
      {
        maxZipSize: 500 * 1024 * 1024,
        stallMs: 120_000,
        defaultQuota: 0,
      },
    );
    const record = await kv.get<VersionRecord>(
      keys.version(CONTENT_OWNER, result.module, result.version),
    );
    if (!record.value) throw new Error(`Published ${result.module} has no record`);
    return record.value;
  };
  return {
    kv,
    publish,
    async publishFiles(module, version, files) {
      return await publish(await moduleZip(module, version, files));
    },
    async publishDir(dir, module, version) {
      const out = await Deno.makeTempFile({ suffix: ".zip" });
      try {
        await buildModuleZip(await filesFromDir(dir), module, version, out);
        return await publish(await Deno.readFile(out));
      } finally {
        await Deno.remove(out);
      }
    },
    close: () => kv.close(),
  };
}
