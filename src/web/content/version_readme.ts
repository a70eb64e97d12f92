/**
 * The README of a stored module version, found, read (at most {@link README_MAX_BYTES}) and
 * rendered, with the result kept per process: a version's zip never changes, so a module
 * page renders its README once. Bounded in bytes; concurrent requests share one render.
 *
 * @module
 */

import type { SafeHtml } from "../safe_html.ts";
import { ByteLru } from "./byte_lru.ts";
import { pickReadme, README_MAX_BYTES, type ReadmeLinks, renderReadmeOutcome } from "./readme.ts";
import { listZipFiles, readZipFile, type ZipSource } from "./zip_files.ts";

/** Bytes of rendered READMEs kept per process. */
const CACHE_BYTES = 16 * 1024 * 1024;

const rendered = new ByteLru<{ path: string; html: SafeHtml }>(CACHE_BYTES);
const inFlight = new Map<string, Promise<VersionReadme | null>>();

/** A version's rendered README. */
export interface VersionReadme {
  /** Its module-relative path. */
  path: string;
  /** The sanitised HTML. */
  html: SafeHtml;
}

/**
 * The rendered README of the zip `source` (see `pickReadme` for which file), or `null` when
 * it has none. Links resolve through `links`, whose URLs must depend only on the version
 * (the cache key is the zip's key plus `links.fileUrl("")` and `links.rawUrl("x")`). Throws
 * `StoredZipError` when the stored zip cannot be read.
 *
 * @example
 * ```ts
 * const readme = await versionReadme(storedZip(kv, record), {
 *   fileUrl: (p) => fileUrl(owner, record.module, record.version, p),
 *   rawUrl: (p) => rawUrl(owner, record.module, record.version, p),
 * });
 * ```
 */
export function versionReadme(
  source: ZipSource,
  links: ReadmeLinks,
): Promise<VersionReadme | null> {
  const key = `${source.key}\0${links.fileUrl("")}\0${links.rawUrl("x")}`;
  const hit = rendered.get(key);
  if (hit) return Promise.resolve(hit);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = render(source, links, key).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function render(
  source: ZipSource,
  links: ReadmeLinks,
  key: string,
): Promise<VersionReadme | null> {
  const choice = pickReadme((await listZipFiles(source)).map((f) => f.path));
  if (!choice) return null;
  const file = await readZipFile(source, choice.path, README_MAX_BYTES);
  if (!file) return null;
  const { html, transient } = await renderReadmeOutcome(file.bytes, {
    links,
    path: choice.path,
    format: choice.format,
    size: file.size,
  });
  const readme = { path: choice.path, html };
  if (!transient) rendered.set(key, readme, 2 * html.html.length);
  return readme;
}
