/**
 * What a route handler gets: the request, the services, the principal, and the owner
 * decisions every owner-scoped route starts with.
 *
 * @module
 */

import { canRead } from "../registry/access.ts";
import type { Actor } from "../registry/audit.ts";
import type { Authenticator, Principal } from "../registry/authenticate.ts";
import type { ModuleReader } from "../registry/modules.ts";
import type { UserRecord } from "../store/records.ts";
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
}

/** One request in flight. */
export class RequestContext {
  /** Set by a handler whose answers depend only on published state (and the principal). */
  cacheable = false;
  /** The in-memory reply the handler answered with, for the reply cache. */
  reply: Reply | undefined;

  /** Creates the context. */
  constructor(
    readonly request: Request,
    readonly url: URL,
    readonly services: Services,
    readonly principal: Principal | null,
    readonly params: Record<string, string>,
    readonly client: string = "unknown",
  ) {}

  /** The acting user and client address, for audit entries. */
  actor(): Actor {
    return { name: this.principal?.user.name ?? "anonymous", client: this.client };
  }

  /** The owner named by the `owner` route parameter, or a 404. */
  async owner(): Promise<UserRecord> {
    const name = this.params.owner;
    const owner = await this.services.auth.user(name);
    if (!owner) throw new HttpError(404, `owner ${JSON.stringify(name)} not found`);
    return owner;
  }

  /**
   * The owner, if the principal may read it: 401 (with a challenge) for anonymous readers
   * of a private owner, 403 for authenticated ones. Neither reply names a module.
   */
  async readableOwner(): Promise<UserRecord> {
    const owner = await this.owner();
    if (canRead(owner, this.principal)) return owner;
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
}
