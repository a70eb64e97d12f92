// Editing .netrc text for login and logout: one host's entries replaced or removed, every
// other byte (comments, default, macdef bodies, odd whitespace, CRLF) kept exactly.
import { netrcEntryFor, removeNetrcEntries, setNetrcEntry } from "../src/cli/netrc_edit.ts";
import { parseNetrc } from "../src/cli/netrc.ts";
import { assertEquals } from "./helpers/assert.ts";

const H = "registry.example.com";
const NEW = `machine ${H} login alice password myd_new`;

/** [name, before, after setNetrcEntry(H, alice, myd_new), after removeNetrcEntries(H)]. */
const cases: [string, string, string, string][] = [
  ["empty file", "", `${NEW}\n`, ""],
  [
    "no newline at the end",
    "machine other login o password p",
    `machine other login o password p\n${NEW}\n`,
    "machine other login o password p",
  ],
  [
    "replaces in place, keeps comments and neighbours",
    `# work\nmachine a login x password y\n\n  machine ${H}\n\tlogin old\n\tpassword myd_old\n# after\nmachine b login z password w\n`,
    `# work\nmachine a login x password y\n\n${NEW}\n# after\nmachine b login z password w\n`,
    `# work\nmachine a login x password y\n\n# after\nmachine b login z password w\n`,
  ],
  [
    "entries sharing a line",
    `machine a login x password y machine ${H} login old password myd_old machine b login z password w\n`,
    `machine a login x password y ${NEW} machine b login z password w\n`,
    `machine a login x password y machine b login z password w\n`,
  ],
  [
    "the host's entry last on a shared line",
    `machine a login x password y   machine ${H} login old password myd_old   \nmachine b login z password w`,
    `machine a login x password y   ${NEW}\nmachine b login z password w`,
    `machine a login x password y   \nmachine b login z password w`,
  ],
  [
    "added before default, which must stay last",
    `machine a login x password y\n  default login anonymous password me@example.com\n`,
    `machine a login x password y\n${NEW}\n  default login anonymous password me@example.com\n`,
    `machine a login x password y\n  default login anonymous password me@example.com\n`,
  ],
  [
    "default on the line of another entry",
    `machine a login x password y default login anonymous password guest\n`,
    `machine a login x password y ${NEW} default login anonymous password guest\n`,
    `machine a login x password y default login anonymous password guest\n`,
  ],
  [
    "a macdef body is kept, even one that names the host",
    `machine a login x password y\nmacdef init\nmachine ${H} login no password no\ncd /pub\n\nmachine b login z password w\n`,
    `machine a login x password y\nmacdef init\nmachine ${H} login no password no\ncd /pub\n\nmachine b login z password w\n${NEW}\n`,
    `machine a login x password y\nmacdef init\nmachine ${H} login no password no\ncd /pub\n\nmachine b login z password w\n`,
  ],
  [
    "an unterminated macro at the end gets its empty line first",
    `machine a login x password y\nmacdef init\ncd /pub\n`,
    `machine a login x password y\nmacdef init\ncd /pub\n\n${NEW}\n`,
    `machine a login x password y\nmacdef init\ncd /pub\n`,
  ],
  [
    "the host's own macdef goes with it",
    `machine ${H} login old password myd_old\nmacdef init\ncd /pub\n\nmachine b login z password w\n`,
    `${NEW}\nmachine b login z password w\n`,
    `machine b login z password w\n`,
  ],
  [
    "CRLF line ends and tabs",
    `machine a\tlogin x\tpassword y\r\nmachine ${H} login old password myd_old\r\nmachine b login z password w\r\n`,
    `machine a\tlogin x\tpassword y\r\n${NEW}\nmachine b login z password w\r\n`,
    `machine a\tlogin x\tpassword y\r\nmachine b login z password w\r\n`,
  ],
  [
    "later duplicates of the host are removed",
    `machine ${H} login one password p1\nmachine a login x password y\nmachine ${H} login two password p2\n`,
    `${NEW}\nmachine a login x password y\n`,
    `machine a login x password y\n`,
  ],
  [
    "a commented-out entry and a longer host name are not the host",
    `# machine ${H} login c password d\nmachine ${H}.evil login e password f\nmachine sub.${H} login g password h\n`,
    `# machine ${H} login c password d\nmachine ${H}.evil login e password f\nmachine sub.${H} login g password h\n${NEW}\n`,
    `# machine ${H} login c password d\nmachine ${H}.evil login e password f\nmachine sub.${H} login g password h\n`,
  ],
  [
    "a password that reads macdef is a value, not a macro",
    `machine a login x password macdef\nmachine ${H} login old password myd_old\n`,
    `machine a login x password macdef\n${NEW}\n`,
    `machine a login x password macdef\n`,
  ],
  [
    "an entry only after default is moved before it",
    `default login anonymous password guest\nmachine ${H} login old password myd_old\n`,
    `${NEW}\ndefault login anonymous password guest\n`,
    `default login anonymous password guest\n`,
  ],
];

for (const [name, before, afterSet, afterRemove] of cases) {
  Deno.test(`netrc edit: ${name}`, () => {
    assertEquals(setNetrcEntry(before, H, "alice", "myd_new"), afterSet);
    assertEquals(removeNetrcEntries(before, H), afterRemove);
    assertEquals(netrcEntryFor(afterSet, H), { login: "alice", password: "myd_new" });
    assertEquals(netrcEntryFor(afterRemove, H), null);
    // Setting twice changes nothing more; removing after setting is removing, except for
    // the line ends login added to close the last line or an open macro.
    assertEquals(setNetrcEntry(afterSet, H, "alice", "myd_new"), afterSet);
    const roundTrip = removeNetrcEntries(afterSet, H);
    assertEquals(roundTrip.slice(0, afterRemove.length), afterRemove);
    assertEquals(/^\n*$/.test(roundTrip.slice(afterRemove.length)), true);
  });
}

Deno.test("netrc edit: the entry read back is the first for the host", () => {
  const text = `machine a login x password y\nmachine ${H}\n  login u\n  password p\n` +
    `machine ${H} login v password q\n`;
  assertEquals(netrcEntryFor(text, H), { login: "u", password: "p" });
  assertEquals(netrcEntryFor(text, "nowhere"), null);
});

Deno.test("netrc edit: values with blanks are refused, not written", () => {
  let said = "";
  try {
    setNetrcEntry("", H, "ali ce", "p");
  } catch (err) {
    said = (err as Error).message;
  }
  assertEquals(said, 'Cannot write a .netrc login that is empty or has blanks: "ali ce"');
});

Deno.test("netrc read for publish: entries after a macdef block are found, default last", () => {
  const text =
    `machine a login x password y\nmacdef init\nmachine ${H} login macro password body\n\n` +
    `machine ${H} login alice password myd_after\ndefault login anon password guest\n`;
  assertEquals(parseNetrc(text, H), { login: "alice", password: "myd_after" });
  assertEquals(parseNetrc(text, "elsewhere"), { login: "anon", password: "guest" });
  assertEquals(parseNetrc("machine a login x password y\n", "elsewhere"), null);
});
