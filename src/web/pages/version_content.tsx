/**
 * The parts of a version page that come from `src/web/content/`: the README (found,
 * rendered and cached per version by `version_readme.ts`), the go.mod view (each `require`
 * the owner hosts links to its page) and the downloads chart (server-rendered SVG).
 *
 * @module
 */

import { keys } from "../../store/keys.ts";
import type { VersionRecord } from "../../store/records.ts";
import { downloadsChart } from "../content/downloads_chart.tsx";
import { goModView } from "../content/gomod_view.tsx";
import { storedZip, StoredZipError } from "../content/zip_files.ts";
import type { VersionReadme } from "../content/version_readme.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
import { fileUrl, moduleUrl, rawUrl } from "../urls.ts";
import type { VersionState } from "../version_badges.tsx";

/** Most module names of the owner read to link a go.mod's requires (one bounded list). */
const MAX_HOSTED_LOOKUP = 5000;

/** What the version page shows from the version's files. */
export interface VersionContent {
  /** Below the install snippet: README, go.mod, the downloads chart. */
  main: SafeHtml;
}

/** The README of a version (`null`: it has none; `undefined`: its zip cannot be read). */
async function readmeOf(
  ui: UiRequest,
  owner: string,
  record: VersionRecord,
): Promise<VersionReadme | null | undefined> {
  // Markdown and sanitiser libraries load with the first version page, not with the UI.
  const { versionReadme } = await import("../content/version_readme.ts");
  const { module, version } = record;
  try {
    return await versionReadme(storedZip(ui.services.kv, record), {
      fileUrl: (p) => fileUrl(owner, module, version, p),
      rawUrl: (p) => rawUrl(owner, module, version, p),
    });
  } catch (err) {
    if (err instanceof StoredZipError) return undefined; // said in the page, not a 500
    throw err;
  }
}

/** The owner's module paths, when the go.mod requires anything (else none are needed). */
async function hostedModules(kv: Deno.Kv, owner: string, mod: Uint8Array): Promise<Set<string>> {
  const out = new Set<string>();
  if (!new TextDecoder().decode(mod).includes("require")) return out;
  for await (const e of kv.list({ prefix: keys.modules(owner) }, { limit: MAX_HOSTED_LOOKUP })) {
    out.add(e.key[2] as string);
  }
  return out;
}

/**
 * The content parts of `record`'s page; `rows` are the module's versions (newest first) with
 * their downloads, for the chart.
 */
export async function versionContent(
  ui: UiRequest,
  owner: string,
  record: VersionRecord,
  rows: (VersionState & { downloads: number })[],
): Promise<VersionContent> {
  const [mod, readme] = await Promise.all([
    ui.services.modules.goMod(record),
    readmeOf(ui, owner, record),
  ]);
  const hosted = await hostedModules(ui.services.kv, owner, mod);
  const live = rows.filter((r) => !r.deleted).reverse();
  return {
    main: (
      <>
        <section aria-labelledby="readme-heading">
          <h2 id="readme-heading">{readme ? readme.path : "README"}</h2>
          {readme === undefined
            ? <p class="notice error">The stored zip cannot be read.</p>
            : readme === null
            ? <p class="muted">This version has no README.</p>
            : <div class="readme">{readme.html}</div>}
        </section>
        <section aria-labelledby="gomod-heading">
          <h2 id="gomod-heading">go.mod</h2>
          {goModView(mod, (path) => hosted.has(path) ? moduleUrl(owner, path) : null)}
        </section>
        {/* In the main column: the 600-unit-wide chart at (nearly) its size, its labels legible. */}
        <section aria-labelledby="downloads-heading">
          <h2 id="downloads-heading">Downloads</h2>
          {downloadsChart(live.map((r) => ({ version: r.version, downloads: r.downloads })))}
        </section>
      </>
    ),
  };
}
