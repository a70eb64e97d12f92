/**
 * What a route handler gets: the request, the services, the principal, and the owner
 * decisions every owner-scoped route starts with.
 *
 * @module
 */

import { canRead, canWrite } from "../registry/access.ts";
import type { Actor } from "../registry/audit.ts";
import type { Authenticator, Principal } from "../registry/authenticate.ts";
import type { ModuleReader } from "../registry/modules.ts";
import type { MemberRole, UserRecord } from "../store/records.ts";
import type { ChecksumLogs } from "../sumdb_log/checksum_logs.ts";
import type { PullThrough } from "../upstream/pull_through.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import type { Reply } from "./responses.ts";

/** The long-lived parts of the app that handlers use. */
export interface Services {
  /** The store. */
  kv: Deno.Kv;
  /** Credential checks and cached user lookups. */
  auth: Authenticator;
  /** Cached reads of published versions. */
  modules: ModuleReader;
  /** Limits of the deployment. */
  limits: { maxZipSize: number; stallMs: number; defaultQuota: number; deleteGraceMs: number };
  /** Drops this process's cached state after it changed the store. */
  invalidate(): void;
  /** The public base URL (`--base-url`), or `""` to use the request's origin. */
  baseUrl: string;
  /** The pull-through cache, when an upstream is configured. */
  pullThrough?: PullThrough;
  /** The owners' own checksum logs. */
  logs: ChecksumLogs;
}

/** One request in flight. */
export class RequestContext {
  /** Set by a handler whose answers depend only on published state (and the principal). */
  cacheable = false;
  /** The in-memory reply the handler answered with, for the reply cache. */
  reply: Reply | undefined;
  /** The TCP peer's address, before any `X-Forwarded-For` (for loopback-only routes). */
  peer = "unknown";

  /** Creates the context. */
  constructor(
    readonly request: Request,
    readonly url: URL,
    readonly services: Services,
    readonly principal: Principal | null,
    readonly params: Record<string, string>,
    readonly client: string = "unknown",
  ) {}

  /**
   * A link to `path` (with its query) for answers such as `Link` headers: absolute on
   * `--base-url` when set; otherwise relative to this host, because the request's `Host`
   * header is the client's to choose and must not end up in links others follow.
   */
  link(path: URL): string {
    const base = this.services.baseUrl;
    return base ? new URL(path.pathname + path.search, base).href : path.pathname + path.search;
  }

  /** The acting user and client address, for audit entries. */
  actor(): Actor {
    return { name: this.principal?.user.name ?? "anonymous", client: this.client };
  }

  /** The owner named by the `owner` route parameter, or a 404 (also for deleted owners). */
  async owner(): Promise<UserRecord> {
    const name = this.params.owner;
    const owner = await this.services.auth.user(name);
    if (!owner || owner.deleted) {
      throw new HttpError(404, `owner ${JSON.stringify(name)} not found`);
    }
    return owner;
  }

  /** The principal's role in `owner` when it is an organisation, else `null`. */
  async role(owner: UserRecord): Promise<MemberRole | null> {
    if (owner.kind !== "org" || this.principal === null) return null;
    return await this.services.auth.role(owner.name, this.principal.user.name);
  }

  /**
   * The owner, if the principal may read it: 401 (with a challenge) for anonymous readers
   * of a private owner, 403 for authenticated ones. Neither reply names a module.
   */
  async readableOwner(): Promise<UserRecord> {
    const owner = await this.owner();
    if (canRead(owner, this.principal, await this.role(owner))) return owner;
    if (this.principal === null) {
      throw new HttpError(
        401,
        `owner ${JSON.stringify(owner.name)} is private: authentication required`,
        BASIC_CHALLENGE,
      );
    }
    throw new HttpError(
      403,
      `user ${JSON.stringify(this.principal.user.name)} may not read owner ${
        JSON.stringify(owner.name)
      }`,
    );
  }

  /**
   * The owner, if the principal may publish to and delete from it: 401 without credentials,
   * 403 without write access or with a read-scoped token. An unknown owner is a 404 only for
   * admins (others may not write there anyway).
   */
  async writableOwner(verb: string): Promise<UserRecord> {
    const principal = this.principal;
    if (!principal) throw new HttpError(401, `authentication required to ${verb}`, BASIC_CHALLENGE);
    const name = this.params.owner;
    const owner = await this.services.auth.user(name);
    const refuse = () =>
      new HttpError(
        403,
        `user ${JSON.stringify(principal.user.name)} may not ${verb} to owner ${
          JSON.stringify(name)
        }`,
      );
    if (!owner || owner.deleted) {
      if (principal.user.admin) throw new HttpError(404, `owner ${JSON.stringify(name)} not found`);
      throw refuse();
    }
    if (!canWrite(owner, principal, await this.role(owner))) throw refuse();
    if (principal.scope !== "write") {
      throw new HttpError(403, `this token has read scope; to ${verb} needs a write token`);
    }
    return owner;
  }
}
