// `login` on a terminal (a pseudo-terminal driven through util-linux `script`): it asks for
// the user name (echoed) and the password (never shown), shows the old and new go settings
// and applies them only after a yes; a no leaves GOENV alone.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import {
  LOGIN_PASSWORD,
  LOGIN_USER,
  loginToken,
  startLoginRegistry,
  tokenWorks,
} from "./helpers/login_env.ts";
import { hasScript, spawnInPty } from "./helpers/login_pty.ts";
import { MAIN_TS } from "./helpers/server.ts";

Deno.test({
  name: "login on a terminal: prompts, no echo of the password, confirmation before go env -w",
  ignore: !hasScript() || !goPrerequisites([]),
  async fn() {
    const r = await startLoginRegistry();
    const login = () =>
      spawnInPty([Deno.execPath(), "run", "-A", MAIN_TS, "login", r.url], r.env());
    try {
      // Answer yes: the settings are applied.
      const yes = login();
      await yes.waitFor(`user name at ${new URL(r.url).host}: `);
      await yes.type(`${LOGIN_USER}\r`);
      await yes.waitFor(`password of ${LOGIN_USER} (not shown): `);
      // Typed with a mistake, corrected with Backspace (which a raw read must handle).
      await yes.type(`${LOGIN_PASSWORD}X\x7f\r`);
      await yes.waitFor("apply with go env -w? [y/N] ");
      assertIncludes(
        yes.screen(),
        `  GOPROXY: "https://proxy.golang.org,direct" -> "${r.url}/api/packages/alice/go"\r\n`,
      );
      await yes.type("y\r");
      const done = await yes.finish();
      assertEquals(done.code, 0, done.screen);
      assertIncludes(done.screen, `user name at ${new URL(r.url).host}: ${LOGIN_USER}\r\n`);
      assertIncludes(done.screen, `password of ${LOGIN_USER} (not shown): \r\n`);
      assertEquals(done.screen.includes(LOGIN_PASSWORD), false, done.screen);
      assertEquals(done.screen.includes("correct"), false, done.screen);
      assertIncludes(done.screen, "applied: GOPROXY (go env -w)");
      assertEquals(await Deno.readTextFile(r.goenv), `GOPROXY=${r.url}/api/packages/alice/go\n`);
      const token = loginToken(await Deno.readTextFile(r.netrc));
      assertEquals(token !== null && await tokenWorks(r, token), true);

      // Answer no (the default): nothing is written to the go env file.
      await Deno.remove(r.goenv);
      const no = login();
      await no.waitFor(`user name at ${new URL(r.url).host}: `);
      await no.type(`${LOGIN_USER}\r`);
      await no.waitFor(`password of ${LOGIN_USER} (not shown): `);
      await no.type(`${LOGIN_PASSWORD}\r`);
      await no.waitFor("apply with go env -w? [y/N] ");
      await no.type("\r");
      const declined = await no.finish();
      assertEquals(declined.code, 0, declined.screen);
      assertIncludes(declined.screen, "not applied");
      assertEquals(await Deno.stat(r.goenv).then(() => true, () => false), false);
    } finally {
      await r.close();
    }
  },
});
