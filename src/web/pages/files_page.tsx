/**
 * A version's files: the tree (`…/@{version}/files/{dir}/`), one file as escaped text in a
 * page (`…/files/{path}`, size-capped; images shown from the raw route), and the raw bytes
 * (`…/raw/{path}`, typed by their content: `src/web/content/file_response.ts`). Read from the
 * zip's central directory and the one entry asked for — never the whole zip in memory.
 * Behind the API's read rule for the owner.
 *
 * @module
 */

import { HttpError } from "../../http/http_error.ts";
import type { VersionRecord } from "../../store/records.ts";
import { treeListing } from "../content/file_tree.ts";
import {
  listZipFiles,
  readZipFile,
  storedZip,
  StoredZipError,
  streamZipFile,
} from "../content/zip_files.ts";
import { rawFileResponse } from "../content/file_response.ts";
import { type FileView, fileView, VIEWER_MAX_BYTES } from "../content/file_view.ts";
import type { SafeHtml } from "../safe_html.ts";
import type { UiRequest } from "../ui_request.ts";
import { fileUrl, moduleUrl, rawUrl, versionUrl } from "../urls.ts";
import { htmlPage } from "./page.tsx";

interface FileRoute {
  owner: string;
  module: string;
  version: string;
  path: string;
}

/** The live version a file route names, after the owner's read check; 404/410 otherwise. */
async function versionOf(ui: UiRequest, route: FileRoute): Promise<VersionRecord> {
  const owner = await ui.readableOwner(route.owner);
  const record = await ui.services.modules.version(owner.name, route.module, route.version);
  if (record) return record;
  const pin = await ui.services.modules.pin(owner.name, route.module, route.version);
  if (pin?.deletedAt) throw new HttpError(410, `${route.module}@${route.version} was deleted`);
  throw new HttpError(404, `${route.module}@${route.version}: not found`);
}

function zipError(err: unknown): unknown {
  return err instanceof StoredZipError
    ? new HttpError(503, `the stored zip cannot be read: ${err.message}`)
    : err;
}

/** Breadcrumbs: module, version, and each directory of `path`. */
function Crumbs(props: { route: FileRoute }): SafeHtml {
  const { owner, module, version, path } = props.route;
  const parts = path.replace(/\/+$/, "").split("/").filter((p) => p !== "");
  return (
    <nav aria-label="Breadcrumb">
      <p>
        <a href={moduleUrl(owner, module)}>{module}</a> /{" "}
        <a href={versionUrl(owner, module, version)}>{version}</a> /{" "}
        <a href={fileUrl(owner, module, version)}>files</a>
        {parts.map((p, i) => (
          <>
            {" / "}
            {i === parts.length - 1
              ? p
              : (
                <a href={fileUrl(owner, module, version, parts.slice(0, i + 1).join("/") + "/")}>
                  {p}
                </a>
              )}
          </>
        ))}
      </p>
    </nav>
  );
}

/** `GET …/@{version}/files/{path}`: a directory's listing or a file's viewer page. */
export async function filesPage(ui: UiRequest, route: FileRoute): Promise<Response> {
  const record = await versionOf(ui, route);
  const source = storedZip(ui.services.kv, record);
  try {
    const isDir = route.path === "" || route.path.endsWith("/");
    if (!isDir) {
      const file = await readZipFile(source, route.path, VIEWER_MAX_BYTES);
      if (file) return viewerPage(ui, route, fileView(file));
    }
    const listing = treeListing(await listZipFiles(source), route.path);
    if (!listing) {
      throw new HttpError(404, `${route.module}@${route.version}: no file ${route.path}`);
    }
    const { owner, module, version } = route;
    const dirPath = listing.path === "" ? "" : listing.path + "/";
    return htmlPage(ui, {
      title: `${module}@${version}/${dirPath}`,
      children: (
        <>
          <Crumbs route={{ ...route, path: dirPath }} />
          <h1>Files of {module}@{version}{dirPath ? ` / ${dirPath}` : ""}</h1>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">Size (bytes)</th>
              </tr>
            </thead>
            <tbody>
              {listing.directories.map((d) => (
                <tr>
                  <td>
                    <a href={fileUrl(owner, module, version, d.path + "/")}>{d.name}/</a>
                  </td>
                  <td class="num">{d.size}</td>
                </tr>
              ))}
              {listing.files.map((f) => (
                <tr>
                  <td>
                    <a href={fileUrl(owner, module, version, f.path)}>{f.name}</a>
                  </td>
                  <td class="num">{f.size}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ),
    });
  } catch (err) {
    throw zipError(err);
  }
}

function viewerPage(ui: UiRequest, route: FileRoute, view: FileView): Response {
  const { owner, module, version, path } = route;
  const raw = rawUrl(owner, module, version, path);
  return htmlPage(ui, {
    title: `${path} · ${module}@${version}`,
    children: (
      <>
        <Crumbs route={route} />
        <h1>{path}</h1>
        <p class="muted">
          {view.size} bytes{view.kind === "text" ? `, ${view.lines} lines` : ""} ·{" "}
          <a href={raw}>raw</a>
        </p>
        {view.kind === "text"
          ? <pre tabindex="0" aria-label={`Content of ${path}`}><code>{view.text}</code></pre>
          : view.kind === "image"
          ? <img src={raw} alt={path} />
          : <p>This file is not text; download it with the raw link.</p>}
        {view.kind === "text" && view.truncated
          ? (
            <p class="muted">
              Only the first {VIEWER_MAX_BYTES} bytes are shown; the raw link has all of it.
            </p>
          )
          : null}
      </>
    ),
  });
}

/** `GET …/@{version}/raw/{path}`: the file's bytes, typed by their content. */
export async function rawFile(ui: UiRequest, route: FileRoute): Promise<Response> {
  const record = await versionOf(ui, route);
  try {
    const file = await streamZipFile(storedZip(ui.services.kv, record), route.path);
    if (!file) throw new HttpError(404, `${route.module}@${route.version}: no file ${route.path}`);
    const response = await rawFileResponse(file, { head: ui.ctx.request.method === "HEAD" });
    response.headers.set("cache-control", "private, no-cache");
    return response;
  } catch (err) {
    throw zipError(err);
  }
}
