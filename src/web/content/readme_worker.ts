/**
 * The README renderer worker (a `node:worker_threads` worker, so an idle one never keeps the
 * process alive): says `{ ready: true }` once its modules are loaded, then receives
 * `{ id, text, path }` and answers `{ id, html }` or `{ id, error }`.
 * Runs {@link markdownToHtml} off the main thread, where its worst cases cannot stall
 * requests and a deadline can end it.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { markdownToHtml } from "./readme_html.ts";

/** A render request. */
export interface RenderRequest {
  /** Request number. */
  id: number;
  /** Markdown text. */
  text: string;
  /** The README's module-relative path. */
  path: string;
}

parentPort?.on("message", (request: RenderRequest) => {
  try {
    parentPort!.postMessage({ id: request.id, html: markdownToHtml(request.text, request.path) });
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: String((err as Error)?.message ?? err) });
  }
});

parentPort?.postMessage({ ready: true });
