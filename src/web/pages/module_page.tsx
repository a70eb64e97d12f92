/**
 * A module's page (`/{owner}/{module}`, its `@latest` version) and a version's page
 * (`/{owner}/{module}/@{version}`): install snippet with a copy button, the version list
 * with dates and badges, go.sum lines, provenance, README, go.mod, files and downloads.
 * A deleted version's page answers 410. Everything is behind the API's read rule for the
 * owner, checked before the module is looked at.
 *
 * @module
 */

import { compareVersions } from "../../gomod/version.ts";
import { HttpError } from "../../http/http_error.ts";
import type { Origin } from "../../registry/origin.ts";
import { keys } from "../../store/keys.ts";
import { fitsKeyLimits } from "../../gomod/zipcheck.ts";
import type { PinRecord, UserRecord } from "../../store/records.ts";
import { goSumText } from "../content/go_sum_lines.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { GoSetup } from "../go_setup.tsx";
import { CopySnippet } from "../layout.tsx";
import { ownerLogKey } from "../owner_log.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
import { deleteVersionUrl, fileUrl, moduleUrl, ownerUrl, versionUrl } from "../urls.ts";
import { VersionBadges, type VersionState } from "../version_badges.tsx";
import { VisibilityBadge } from "./owner_page.tsx";
import { htmlPage, Time } from "./page.tsx";
import { versionContent } from "./version_content.tsx";

/** Most deleted versions listed (their pins, from one list). */
const MAX_DELETED_LISTED = 1000;

/** One row of the version list. */
interface VersionRow extends VersionState {
  time: string;
  downloads: number;
}

/** `GET /{owner}/{module}` (version `null`: `@latest`) and `GET /{owner}/{module}/@{version}`. */
export async function modulePage(
  ui: UiRequest,
  ownerName: string,
  module: string,
  version: string | null,
): Promise<Response> {
  const owner = await ui.readableOwner(ownerName);
  const modules = ui.services.modules;
  const [records, retracted, downloads, deleted] = await Promise.all([
    modules.versions(owner.name, module),
    modules.retracted(owner.name, module),
    modules.downloads(owner.name, module),
    deletedPins(ui.services.kv, owner.name, module),
  ]);
  const record = version === null
    ? await modules.latest(owner.name, module)
    : records.find((r) => r.version === version);
  if (!record) {
    const pin = version === null ? undefined : deleted.get(version);
    if (version !== null && pin) {
      return deletedVersionPage(ui, owner, module, version, pin);
    }
    throw new HttpError(
      404,
      version === null ? `${module}: not found` : `${module}@${version}: not found`,
    );
  }
  const rows: VersionRow[] = records.map((r) => ({
    version: r.version,
    time: r.time,
    retracted: retracted.get(r.version),
    downloads: downloads.get(r.version) ?? 0,
  }));
  for (const [v, pin] of deleted) {
    if (!records.some((r) => r.version === v)) {
      rows.push({
        version: v,
        time: pin.deletedAt!,
        deleted: true,
        pinned: true,
        downloads: downloads.get(v) ?? 0,
      });
    }
  }
  rows.sort((a, b) => compareVersions(b.version, a.version));
  const [canDelete, logKey, content] = await Promise.all([
    mayDelete(ui, owner.name),
    ownerLogKey(ui.services.kv, owner.name),
    versionContent(ui, owner.name, record, rows),
  ]);
  const v = record.version;
  const state: VersionState = { version: v, retracted: retracted.get(v) };
  const gosum = goSumText(record).trimEnd();
  return htmlPage(ui, {
    title: `${module}@${v}`,
    children: (
      <>
        <p class="muted">
          <a href={ownerUrl(owner.name)}>{owner.name}</a> <VisibilityBadge owner={owner} />
        </p>
        <h1>
          {module} <span class="muted">{v}</span> <VersionBadges state={state} />
        </h1>
        {state.retracted !== undefined
          ? (
            <p class="notice error">
              This version is retracted by the module's author
              {state.retracted ? `: ${state.retracted}` : "."}
            </p>
          )
          : null}
        <div class="grid">
          <div>
            <section aria-labelledby="install-heading">
              <h2 id="install-heading">Install</h2>
              <CopySnippet id="install" label="install command" text={`go get ${module}@${v}`} />
            </section>
            {content.main}
          </div>
          <aside aria-label="Version details">
            <h2>Details</h2>
            <dl>
              <dt>Published</dt>
              <dd>
                <Time iso={record.time} /> by {record.publisher}
              </dd>
              <dt>Size</dt>
              <dd>{record.size} bytes</dd>
              {record.goVersion
                ? (
                  <>
                    <dt>Go version</dt>
                    <dd>{record.goVersion}</dd>
                  </>
                )
                : null}
              <dt>Files</dt>
              <dd>
                <a href={fileUrl(owner.name, module, v)}>Browse the files</a>
              </dd>
            </dl>
            {record.origin ? <Provenance origin={record.origin} /> : null}
          </aside>
        </div>
        <section aria-labelledby="gosum-heading">
          <h2 id="gosum-heading">go.sum lines</h2>
          <CopySnippet id="gosum" label="go.sum lines" text={gosum} />
        </section>
        <section aria-labelledby="versions-heading">
          <h2 id="versions-heading">Versions</h2>
          <VersionList ui={ui} owner={owner.name} module={module} rows={rows} current={v} />
        </section>
        <GoSetup
          baseUrl={ui.baseUrl}
          owner={owner.name}
          isPrivate={owner.visibility === "private"}
          module={module}
          logKey={logKey}
          viewer={ui.principal?.user.name ?? null}
        />
        {canDelete && ui.session
          ? (
            <section aria-labelledby="delete-heading">
              <h2 id="delete-heading">Delete this version</h2>
              <p>
                Its files will answer 410 and it leaves the version list; it stays pinned, so it can
                only be published again with the same content.
              </p>
              <form method="post" action={deleteVersionUrl(owner.name, module, v)}>
                <input type="hidden" name={CSRF_FIELD} value={ui.session.csrf} />
                <button type="submit" class="danger">Delete {module}@{v}</button>
              </form>
            </section>
          )
          : null}
      </>
    ),
  });
}

function VersionList(
  props: { ui: UiRequest; owner: string; module: string; rows: VersionRow[]; current: string },
): SafeHtml {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Date</th>
          <th scope="col" class="num">Downloads</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>
            <td>
              {r.version === props.current
                ? <strong aria-current="page">{r.version}</strong>
                : <a href={versionUrl(props.owner, props.module, r.version)}>{r.version}</a>}
              <VersionBadges state={r} />
            </td>
            <td>
              <Time iso={r.time} />
            </td>
            <td class="num">{r.downloads}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The publisher's claim of where the zip came from (`X-Modyard-Origin`). */
function Provenance(props: { origin: Origin }): SafeHtml {
  const o = props.origin;
  const web = /^https?:\/\//.test(o.URL) ? o.URL : null;
  return (
    <>
      <h2>Provenance</h2>
      <p class="muted">As the publisher stated it; not verified by the registry.</p>
      <dl>
        <dt>Repository</dt>
        <dd>{web ? <a href={web} rel="nofollow noopener">{o.URL}</a> : <code>{o.URL}</code>}</dd>
        {o.Subdir
          ? (
            <>
              <dt>Directory</dt>
              <dd>
                <code>{o.Subdir}</code>
              </dd>
            </>
          )
          : null}
        {o.Ref
          ? (
            <>
              <dt>Ref</dt>
              <dd>
                <code>{o.Ref}</code>
              </dd>
            </>
          )
          : null}
        <dt>Commit</dt>
        <dd>
          <code>{o.Hash}</code>
        </dd>
      </dl>
    </>
  );
}

/** The page of a deleted version: 410, when and by whom, and the pin. */
function deletedVersionPage(
  ui: UiRequest,
  owner: UserRecord,
  module: string,
  version: string,
  pin: PinRecord,
): Response {
  return htmlPage(ui, {
    title: `${module}@${version}`,
    status: 410,
    children: (
      <>
        <h1>
          {module} <span class="muted">{version}</span>{" "}
          <VersionBadges state={{ version, deleted: true, pinned: true }} />
        </h1>
        <p class="notice error">
          This version was deleted{pin.deletedAt
            ? (
              <>
                on <Time iso={pin.deletedAt} />
              </>
            )
            : null}
          {pin.deletedBy ? ` by ${pin.deletedBy}` : ""}. Its files answer 410 Gone. It stays pinned
          to <code>{pin.h1}</code>: it can only be published again with the same content.
        </p>
        <p>
          <a href={moduleUrl(owner.name, module)}>Other versions of {module}</a>
        </p>
      </>
    ),
  });
}

/** Deleted versions of a module: their pins (kept after deletion) that carry `deletedAt`. */
async function deletedPins(
  kv: Deno.Kv,
  owner: string,
  module: string,
): Promise<Map<string, PinRecord>> {
  const out = new Map<string, PinRecord>();
  if (!fitsKeyLimits(module)) return out;
  for await (
    const e of kv.list<PinRecord>({ prefix: keys.modulePins(owner, module) }, {
      limit: MAX_DELETED_LISTED,
    })
  ) {
    if (e.value.deletedAt) out.set(e.key[3] as string, e.value);
  }
  return out;
}

/** Whether the session may delete versions of `owner` (the API's write rule, unthrown). */
async function mayDelete(ui: UiRequest, owner: string): Promise<boolean> {
  if (!ui.principal) return false;
  try {
    await ui.writableOwner(owner, "delete");
    return true;
  } catch (err) {
    if (err instanceof HttpError) return false;
    throw err;
  }
}
