/**
 * An owner's page: its modules (path, latest version, last publish, total downloads), a
 * visibility badge, and for members of an organisation (and admins) its members and roles.
 * Readable exactly when the API's packages listing is.
 *
 * @module
 */

import { latestVersion } from "../../gomod/version.ts";
import { keys } from "../../store/keys.ts";
import type { MemberRecord, UserRecord } from "../../store/records.ts";
import { GoSetup } from "../go_setup.tsx";
import { ownerLogKey } from "../owner_log.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
import { moduleUrl, ownerUrl, versionUrl } from "../urls.ts";
import { htmlPage, Time } from "./page.tsx";

/** Most modules an owner page lists (in path order). */
export const MAX_OWNER_PAGE_MODULES = 200;
/** Most members an organisation page lists. */
export const MAX_MEMBERS_LISTED = 500;

interface ModuleRow {
  module: string;
  latest?: string;
  lastPublish?: string;
  downloads: number;
}

/** A badge of public/private. */
export function VisibilityBadge(props: { owner: UserRecord }): SafeHtml {
  const v = props.owner.visibility;
  return <span class={`badge ${v}`}>{v}</span>;
}

/** Longest `?after=` accepted (a module path is at most a few hundred bytes in a KV key). */
const MAX_AFTER_LENGTH = 1024;

/**
 * `GET /{owner}[?after=MODULE]`: one page of the modules in path order, those after `after`
 * when given (the "next" link carries the page's last path).
 */
export async function ownerPage(ui: UiRequest, name: string): Promise<Response> {
  const owner = await ui.readableOwner(name);
  const kv = ui.services.kv;
  const afterParam = ui.ctx.url.searchParams.get("after") ?? "";
  const after = afterParam.length <= MAX_AFTER_LENGTH ? afterParam : "";
  const prefix = keys.modules(owner.name);
  const names: string[] = [];
  for await (
    const e of kv.list(after ? { prefix, start: [...prefix, after] } : { prefix }, {
      limit: MAX_OWNER_PAGE_MODULES + 2,
    })
  ) {
    const module = e.key[2] as string;
    if (module !== after) names.push(module);
  }
  const more = names.length > MAX_OWNER_PAGE_MODULES;
  const last = names[Math.min(names.length, MAX_OWNER_PAGE_MODULES) - 1];
  const rows = await Promise.all(
    names.slice(0, MAX_OWNER_PAGE_MODULES).map((m) => moduleRow(ui, owner.name, m)),
  );
  const p = ui.principal;
  const seesMembers = owner.kind === "org" && p !== null &&
    (p.user.admin || await ui.services.auth.role(owner.name, p.user.name) !== null);
  const members: [string, string][] = [];
  if (seesMembers) {
    for await (
      const e of kv.list<MemberRecord>({ prefix: keys.members(owner.name) }, {
        limit: MAX_MEMBERS_LISTED,
      })
    ) {
      members.push([e.key[2] as string, e.value.role]);
    }
  }
  const logKey = await ownerLogKey(kv, owner.name);
  return htmlPage(ui, {
    title: owner.name,
    children: (
      <>
        <h1>
          {owner.name} <VisibilityBadge owner={owner} />
          {owner.kind === "org" ? <span class="badge pseudo">organisation</span> : null}
        </h1>
        <section aria-labelledby="modules-heading">
          <h2 id="modules-heading">Modules</h2>
          {rows.length === 0
            ? (
              <p>
                {after ? `No modules after ${after}.` : `${owner.name} has published no modules.`}
              </p>
            )
            : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Module</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Last publish</th>
                    <th scope="col" class="num">Downloads</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr>
                      <td>
                        <a href={moduleUrl(owner.name, r.module)}>{r.module}</a>
                      </td>
                      <td>
                        {r.latest
                          ? <a href={versionUrl(owner.name, r.module, r.latest)}>{r.latest}</a>
                          : "—"}
                      </td>
                      <td>{r.lastPublish ? <Time iso={r.lastPublish} /> : "—"}</td>
                      <td class="num">{r.downloads}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          {more || after
            ? (
              <nav aria-label="Module pages" class="muted">
                {after ? <a href={ownerUrl(owner.name)}>First page</a> : null}
                {after && more ? " · " : null}
                {more
                  ? (
                    <a href={`${ownerUrl(owner.name)}?after=${encodeURIComponent(last)}`}>
                      Next {MAX_OWNER_PAGE_MODULES} modules
                    </a>
                  )
                  : null}
              </nav>
            )
            : null}
        </section>
        {seesMembers
          ? (
            <section aria-labelledby="members-heading">
              <h2 id="members-heading">Members</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map(([user, role]) => (
                    <tr>
                      <td>
                        <a href={ownerUrl(user)}>{user}</a>
                      </td>
                      <td>{role}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )
          : null}
        <GoSetup
          baseUrl={ui.baseUrl}
          owner={owner.name}
          isPrivate={owner.visibility === "private"}
          logKey={logKey}
          viewer={ui.principal?.user.name ?? null}
        />
      </>
    ),
  });
}

async function moduleRow(ui: UiRequest, owner: string, module: string): Promise<ModuleRow> {
  const modules = ui.services.modules;
  const [versions, downloads] = await Promise.all([
    modules.versions(owner, module),
    modules.downloads(owner, module),
  ]);
  let lastPublish: string | undefined;
  for (const v of versions) if (!lastPublish || v.time > lastPublish) lastPublish = v.time;
  let total = 0;
  for (const n of downloads.values()) total += n;
  return {
    module,
    latest: latestVersion(versions.map((v) => v.version)),
    lastPublish,
    downloads: total,
  };
}
