/**
 * The delete-version form's target (`POST /{owner}/{module}/@{version}/delete`): the CSRF
 * checks, then exactly what `DELETE /api/v1/packages/{owner}/go/{module}/{version}` does
 * (the same function, so the same access rules), then back to the module's page.
 *
 * @module
 */

import { deleteModuleVersion } from "../../http/packages_api.ts";
import type { UiRequest } from "../ui_request.ts";
import { moduleUrl, versionUrl } from "../urls.ts";

/** Deletes the version; 303 to the module page. */
export async function deleteVersionForm(
  ui: UiRequest,
  route: { owner: string; module: string; version: string },
): Promise<Response> {
  await ui.form();
  ui.requirePrincipal();
  await deleteModuleVersion(ui.ownerContext(route.owner), route.module, route.version);
  // The module page while other versions remain; else the deleted version's own (410) page.
  const left = await ui.services.modules.versions(route.owner, route.module);
  const location = left.length > 0
    ? moduleUrl(route.owner, route.module)
    : versionUrl(route.owner, route.module, route.version);
  return new Response(null, { status: 303, headers: { location } });
}
