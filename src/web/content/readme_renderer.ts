/**
 * Renders README Markdown in a worker thread under a deadline. Markdown and HTML libraries
 * have inputs that take super-linear time (measured with marked 18: 40 KB of `_a` takes
 * 4 s; sanitize-html on 2 MB of nested tags, minutes), and a README is attacker-controlled:
 * on the main thread one such file would stall every request. Here a render that overruns
 * its deadline ends the worker (a fresh one takes the next job) and the caller shows the
 * README as plain text instead.
 *
 * One worker renders one README at a time; jobs queue behind it, a bounded number.
 *
 * The worker loads its modules from this folder only (readme_worker.ts → readme_html.ts →
 * readme_links.ts, and the npm packages): a server run with `--allow-read` limited to its
 * data directory must also allow reading `src/web/content`, or every README is shown as
 * plain text ("error"). A bundled server (`deno task bundle`, where this code is part of
 * `modyard.js`) loads `readme_worker.js` from beside the bundle instead, which the same task
 * writes with every dependency inside, and needs read access to that file.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import type { RenderRequest } from "./readme_worker.ts";

/** How long one render may take. */
export const RENDER_DEADLINE_MS = 2000;
/** Jobs waiting for the worker at most; more are refused at once. */
const MAX_QUEUED = 16;
/** An idle worker is ended after this long (it holds the Markdown libraries). */
const IDLE_MS = 60_000;

/** Why a render gave no HTML. */
export type RenderFailure = "timeout" | "busy" | "error";

/** What a render gave: HTML with link placeholders, or why not. */
export type RenderOutcome = { html: string } | { failure: RenderFailure; reason: string };

interface Job {
  text: string;
  path: string;
  resolve: (outcome: RenderOutcome) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const queue: Job[] = [];
let running = false;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** Until when a worker is not tried again after one failed to load (epoch ms). */
let unavailableUntil = 0;
/** How long a worker that failed to load (e.g. no read permission) is not retried. */
const UNAVAILABLE_MS = 10 * 60_000;

/**
 * Renders Markdown `text` of the README at `path` in the worker; never rejects.
 *
 * @example
 * ```ts
 * const outcome = await renderMarkdownInWorker("# Hi", "README.md");
 * if ("html" in outcome) console.log(outcome.html); // "<h1>Hi</h1>\n"
 * ```
 */
export function renderMarkdownInWorker(
  text: string,
  path: string,
  deadlineMs = RENDER_DEADLINE_MS,
): Promise<RenderOutcome> {
  if (Date.now() < unavailableUntil) {
    return Promise.resolve({ failure: "error", reason: "the renderer cannot be loaded" });
  }
  if (queue.length >= MAX_QUEUED) {
    return Promise.resolve({ failure: "busy", reason: "too many READMEs are being rendered" });
  }
  return new Promise((resolve) => {
    queue.push({ text, path, resolve });
    if (!running) void drain(deadlineMs);
  });
}

/** Ends the worker (tests, shutdown); the next render starts a new one. */
export function closeReadmeRenderer(): Promise<void> {
  clearTimeout(idleTimer);
  unavailableUntil = 0;
  const w = worker;
  worker = null;
  return w ? w.terminate().then(() => {}) : Promise.resolve();
}

async function drain(deadlineMs: number): Promise<void> {
  running = true;
  clearTimeout(idleTimer);
  try {
    for (let job = queue.shift(); job; job = queue.shift()) {
      job.resolve(await runJob(job, deadlineMs));
    }
  } finally {
    running = false;
    const idle = setTimeout(() => void closeReadmeRenderer(), IDLE_MS);
    Deno.unrefTimer(idle);
    idleTimer = idle;
  }
}

let starts = 0;

/**
 * How many renderer workers this process has tried to start (for tests and metrics).
 *
 * @example
 * ```ts
 * workerStarts(); // 0 before the first README
 * ```
 */
export function workerStarts(): number {
  return starts;
}

/** Workers that loaded their modules (said `ready`). */
const loaded = new WeakSet<Worker>();

/** The worker's module: the source beside this file, or the bundled worker beside a bundle. */
const WORKER_URL = new URL(
  import.meta.url.endsWith("/readme_renderer.ts") ? "./readme_worker.ts" : "./readme_worker.js",
  import.meta.url,
);

function startWorker(): Worker {
  starts++;
  const w = new Worker(WORKER_URL);
  w.unref();
  w.on("message", (m: { ready?: boolean }) => {
    if (m.ready) loaded.add(w);
  });
  // A worker that fails is replaced on the next job.
  w.on("error", () => {
    if (worker === w) worker = null;
  });
  w.on("exit", () => {
    if (worker === w) worker = null;
  });
  return w;
}

function runJob(job: Job, deadlineMs: number): Promise<RenderOutcome> {
  let w: Worker;
  try {
    w = worker ??= startWorker();
  } catch (err) {
    unavailableUntil = Date.now() + UNAVAILABLE_MS;
    return Promise.resolve({ failure: "error", reason: `cannot start the renderer: ${err}` });
  }
  const id = nextId++;
  return new Promise<RenderOutcome>((resolve) => {
    const finish = (outcome: RenderOutcome) => {
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      resolve(outcome);
    };
    const onMessage = (m: { id: number; html?: string; error?: string }) => {
      if (m.id !== id) return;
      finish(m.html !== undefined ? { html: m.html } : { failure: "error", reason: m.error ?? "" });
    };
    const onError = (err: unknown) => {
      // A worker failing before it loaded its modules cannot load them (e.g. no read
      // permission): do not spawn (and log) a failing worker for every README.
      if (!loaded.has(w)) unavailableUntil = Date.now() + UNAVAILABLE_MS;
      finish({ failure: "error", reason: String(err) });
    };
    const onExit = () => finish({ failure: "error", reason: "the renderer stopped" });
    const timer = setTimeout(() => {
      if (worker === w) worker = null;
      void w.terminate();
      finish({ failure: "timeout", reason: `rendering took longer than ${deadlineMs} ms` });
    }, deadlineMs);
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    w.postMessage({ id, text: job.text, path: job.path } satisfies RenderRequest);
  });
}
