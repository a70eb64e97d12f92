/**
 * The parts of a version page read from the version's files: README (found, rendered and
 * cached per version by `src/web/content/version_readme.ts`), go.mod, downloads chart. The
 * go.mod view with links and the SVG chart come from `src/web/content/` too; until those
 * land, the go.mod is shown as escaped text and the chart slot says so.
 *
 * @module
 */

import type { VersionRecord } from "../../store/records.ts";
import { storedZip, StoredZipError } from "../content/zip_files.ts";
import type { VersionReadme } from "../content/version_readme.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
import { fileUrl, rawUrl } from "../urls.ts";
import type { VersionState } from "../version_badges.tsx";

/** Most go.mod bytes shown in a page. */
const MAX_GO_MOD_SHOWN = 64 * 1024;

/** What the version page shows from the version's files. */
export interface VersionContent {
  /** Below the install snippet: README, go.mod. */
  main: SafeHtml;
  /** In the side column: the downloads chart. */
  aside: SafeHtml;
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

/** The content parts of `record`'s page. */
export async function versionContent(
  ui: UiRequest,
  owner: string,
  record: VersionRecord,
  _rows: (VersionState & { downloads: number })[],
): Promise<VersionContent> {
  const [mod, readme] = await Promise.all([
    ui.services.modules.goMod(record),
    readmeOf(ui, owner, record),
  ]);
  const text = new TextDecoder().decode(mod.subarray(0, MAX_GO_MOD_SHOWN));
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
          <pre><code>{text}</code></pre>
          {mod.byteLength > MAX_GO_MOD_SHOWN
            ? <p class="muted">Only the first {MAX_GO_MOD_SHOWN} bytes are shown.</p>
            : null}
        </section>
      </>
    ),
    aside: (
      <>
        <h2>Downloads</h2>
        {/* PLACEHOLDER: the SVG chart of src/web/content has not landed yet. */}
        <p class="muted">The downloads chart is not available yet.</p>
      </>
    ),
  };
}
