// Two servers on one store publish 100 versions of one owner at once, in four batches of 25
// spread over both: the owner's log stays one log (every version once, at ids 0..99, both
// servers sign the same heads), and a go client that keeps its cached head across the
// batches, asking the two servers in turn, accepts every step (it checks each new head's
// consistency with the one it cached).
//
// The two servers are two in-process apps (each with its own caches and ChecksumLogs) on ONE
// handle of a store file. Two `main.ts serve` processes on one file once answered 500
// ("database is locked") to some uploads; openStore now retries such calls, and
// tests/multi_instance_test.ts covers two processes publishing at once.
import { enableLog } from "../src/sumdb_log/enable.ts";
import type { LoggedVersion } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { cachedHead, libZip, logEnv, published } from "./helpers/sumdb_log_go.ts";

const BATCHES = 4;
const PER_BATCH = 25;
// 5 modules × 5 versions a batch: publishes of different modules share only the log's head.
const moduleOf = (i: number) => `example.com/c${i % 5}`;
const versionOf = (batch: number, i: number) => `v1.${batch}.${Math.floor(i / 5)}`;

Deno.test({
  name:
    "two servers on one store publish 100 versions at once: one log, and a go client with a cached head accepts every step",
  ignore: !goPrerequisites([]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "modyard-two-servers-" });
    const first = await startTestServer({ kv: `${dir}/modyard.kv` });
    const servers = [first, await startTestServer({ store: first.kv })];
    const kv = first.kv;
    const go = await goSandbox(first.proxy("alice"));
    try {
      const auth = await first.user("alice");
      const meta = await enableLog(kv, "alice", { baseUrl: first.url });
      const gosums = new Map<string, string>();
      for (let batch = 0; batch < BATCHES; batch++) {
        const zips = await Promise.all(
          Array.from({ length: PER_BATCH }, (_, i) => libZip(moduleOf(i), versionOf(batch, i))),
        );
        const answers = await Promise.all(
          zips.map((zip, i) => published(servers[i % 2].upload("alice", zip, auth))),
        );
        for (const a of answers) gosums.set(`${a.module}@${a.version}`, a.gosum);

        // The newest version of the batch (the last record), from one server, then the other.
        let newest = { id: -1, module: "", version: "" };
        for (const a of answers) {
          const entry = await kv.get<LoggedVersion>(keys.logEntry("alice", a.module, a.version));
          assertOk(entry.value !== null, `${a.module}@${a.version} not logged`);
          if (entry.value.id > newest.id) newest = { id: entry.value.id, ...a };
        }
        const size = PER_BATCH * (batch + 1);
        assertEquals(newest.id, size - 1);
        const proxy = servers[batch % 2].proxy("alice");
        const out = await go.run(
          ["mod", "download", "-json", `${newest.module}@${newest.version}`],
          go.dir,
          { ...logEnv(meta.verifierKey), GOPROXY: proxy },
        );
        assertEquals(out.code, 0, `batch ${batch}: ${out.stdout}${out.stderr}`);
        const sum = JSON.parse(out.stdout).Sum;
        assertEquals(
          `${newest.module} ${newest.version} ${sum}`,
          gosums.get(`${newest.module}@${newest.version}`)!.split("\n")[0],
        );
        assertEquals((await cachedHead(`${go.dir}/gopath`, meta.name)).n, size);
      }

      // One log: every version once, ids 0..99, each record its version's go.sum lines.
      const ids: number[] = [];
      for await (const e of kv.list<LoggedVersion>({ prefix: keys.logEntries("alice") })) {
        assertEquals(e.value.text, gosums.get(`${e.key[2] as string}@${e.key[3] as string}`));
        assertEquals(
          (await kv.get<string>(keys.logRecord("alice", e.value.id))).value,
          e.value.text,
        );
        ids.push(e.value.id);
      }
      assertEquals(ids.sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
      // Both servers sign the same head of 100 records.
      const heads = await Promise.all(servers.map(async (s) => {
        const res = await fetch(`${s.proxy("alice")}/sumdb/${meta.name}/latest`);
        return await res.text();
      }));
      assertOk(heads[0].startsWith("go.sum database tree\n100\n"), heads[0]);
      assertEquals(heads[1], heads[0]);
    } finally {
      await servers[1].close();
      await servers[0].close(); // closes the store
      await go.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
