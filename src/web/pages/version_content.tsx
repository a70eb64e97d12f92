/**
 * The parts of a version page read from the version's files: README, go.mod, downloads
 * chart. They come from `src/web/content/` (README sanitising, go.mod links, SVG chart);
 * until those land, the go.mod is shown as escaped text and the other slots say so.
 *
 * @module
 */

import type { VersionRecord } from "../../store/records.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
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

/** The content parts of `record`'s page. */
export async function versionContent(
  ui: UiRequest,
  _owner: string,
  record: VersionRecord,
  _rows: (VersionState & { downloads: number })[],
): Promise<VersionContent> {
  const mod = await ui.services.modules.goMod(record);
  const text = new TextDecoder().decode(mod.subarray(0, MAX_GO_MOD_SHOWN));
  return {
    main: (
      <>
        <section aria-labelledby="readme-heading">
          <h2 id="readme-heading">README</h2>
          {/* PLACEHOLDER: the README renderer of src/web/content has not landed yet. */}
          <p class="muted">README rendering is not available yet.</p>
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
