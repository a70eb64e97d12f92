/**
 * Errors as pages: the status and the plain reason the rest of modyard gives.
 *
 * @module
 */

import type { HttpError } from "../../http/http_error.ts";
import { homeUrl } from "../urls.ts";
import type { UiRequest } from "../ui_request.ts";
import { htmlPage } from "./page.tsx";

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  410: "Gone",
  413: "Too large",
  415: "Unsupported form",
  429: "Too many attempts",
  503: "Busy",
};

/** The page of an error. */
export function errorPage(ui: UiRequest, err: HttpError): Response {
  const title = TITLES[err.status] ?? "Error";
  return htmlPage(ui, {
    title,
    status: err.status,
    children: (
      <>
        <h1>{title}</h1>
        <p class="notice error">{err.message}</p>
        <p>
          <a href={homeUrl()}>Back to the home page</a>
        </p>
      </>
    ),
  });
}
