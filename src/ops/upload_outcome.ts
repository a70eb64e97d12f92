/**
 * Why an upload was refused, as a bounded label for `modyard_uploads_total{outcome}`.
 *
 * @module
 */

/** Every upload outcome. */
export const UPLOAD_OUTCOMES = [
  "accepted",
  "invalid_zip",
  "unauthenticated",
  "forbidden",
  "unknown_owner",
  "version_exists",
  "too_large",
  "over_quota",
  "throttled",
  "unavailable",
  "other",
] as const;

/** One upload outcome. */
export type UploadOutcome = typeof UPLOAD_OUTCOMES[number];

/**
 * The outcome of an upload answered with `status` (and, for a refusal, its reason).
 *
 * @example
 * ```ts
 * uploadOutcome(409, "example.com/m@v1.0.0 already exists"); // "version_exists"
 * uploadOutcome(413, "owner alice is over its quota"); // "over_quota"
 * ```
 */
export function uploadOutcome(status: number, reason = ""): UploadOutcome {
  switch (status) {
    case 200:
    case 201:
      return "accepted";
    case 400:
      return "invalid_zip";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "unknown_owner";
    case 409:
      return "version_exists";
    case 413:
      return /quota/i.test(reason) ? "over_quota" : "too_large";
    case 429:
      return "throttled";
    case 503:
      return "unavailable";
    default:
      return "other";
  }
}
