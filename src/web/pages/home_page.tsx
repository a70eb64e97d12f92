/**
 * The home page: module search across the owners the visitor may read, recently published
 * versions, and how to configure the `go` command.
 *
 * @module
 */

import { GoSetup } from "../go_setup.tsx";
import {
  MAX_QUERY_LENGTH,
  MAX_SEARCH_MODULES,
  MAX_SEARCH_OWNERS,
  recentVersions,
  searchModules,
} from "../module_search.ts";
import { ReadableOwners } from "../readable_owners.ts";
import type { UiRequest } from "../ui_request.ts";
import { homeUrl, moduleUrl, ownerUrl, versionUrl } from "../urls.ts";
import { htmlPage, Time } from "./page.tsx";

/** `GET /` (and `/?q=…`). */
export async function homePage(ui: UiRequest): Promise<Response> {
  const q = (ui.ctx.url.searchParams.get("q") ?? "").trim().slice(0, MAX_QUERY_LENGTH);
  const readable = new ReadableOwners(ui.services, ui.principal);
  const [search, recent] = await Promise.all([
    q ? searchModules(ui.services, readable, q) : null,
    recentVersions(ui.services, readable),
  ]);
  return htmlPage(ui, {
    title: q ? `Search: ${q}` : "Go modules",
    children: (
      <>
        <h1>Go modules</h1>
        <form class="search" role="search" method="get" action={homeUrl()}>
          <label class="visually-hidden" for="q">Search module paths</label>
          <input id="q" name="q" type="search" value={q} maxlength={String(MAX_QUERY_LENGTH)} />
          <button type="submit">Search</button>
        </form>
        {search
          ? (
            <section aria-labelledby="results-heading">
              <h2 id="results-heading">Modules matching “{q}”</h2>
              {search.hits.length === 0 ? <p>No module path contains “{q}”.</p> : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Module</th>
                      <th scope="col">Owner</th>
                      <th scope="col">Latest</th>
                    </tr>
                  </thead>
                  <tbody>
                    {search.hits.map((h) => (
                      <tr>
                        <td>
                          <a href={moduleUrl(h.owner, h.module)}>{h.module}</a>
                        </td>
                        <td>
                          <a href={ownerUrl(h.owner)}>{h.owner}</a>
                        </td>
                        <td>
                          {h.latest
                            ? <a href={versionUrl(h.owner, h.module, h.latest)}>{h.latest}</a>
                            : "—"}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {search.truncated
                ? (
                  <p class="muted">
                    The search stopped early (it looks at up to {MAX_SEARCH_OWNERS} owners and{" "}
                    {MAX_SEARCH_MODULES} modules, and shows up to {search.hits.length}{" "}
                    results); refine the text.
                  </p>
                )
                : null}
            </section>
          )
          : null}
        <section aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recently published</h2>
          {recent.length === 0 ? <p>Nothing published yet.</p> : (
            <ul class="versions">
              {recent.map((r) => (
                <li>
                  <a href={versionUrl(r.owner, r.module, r.version)}>
                    {r.module}@{r.version}
                  </a>{" "}
                  <span class="muted">
                    by <a href={ownerUrl(r.owner)}>{r.owner}</a>, <Time iso={r.time} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <GoSetup
          baseUrl={ui.baseUrl}
          owner={null}
          isPrivate={false}
          viewer={ui.principal?.user.name ?? null}
        />
      </>
    ),
  });
}
