// Signed notes (src/sumdb/note.ts, note_key.ts) against golang.org/x/mod/sumdb/note: x/mod's
// own test vectors (note_test.go) as tables, then the Go package itself through
// tools/xmodsumdb: keys generated from one seed are identical, each side opens what the
// other signed, and seeded mutations of signed notes get the same verdict and reason from
// both (MODYARD_SUMDB_SEED replays them; the seed is printed with every failure).
import { decodeBase64, encodeBase64 } from "../src/sumdb/base64.ts";
import {
  InvalidSignatureError,
  MAX_NOTE_BYTES,
  type Note,
  NoteError,
  openNote,
  signNote,
  UnverifiedNoteError,
  verifierList,
  type Verifiers,
} from "../src/sumdb/note.ts";
import {
  formatVerifierKey,
  generateKey,
  KeyError,
  keyHash,
  newSigner,
  newVerifier,
  parseSignerKey,
  parseVerifierKey,
  type Signer,
  signerKeyFromSeed,
  SUM_GOLANG_ORG_KEY,
} from "../src/sumdb/note_key.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import { xmodSumdb } from "./helpers/xmodsumdb.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";

const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT = "If you think cryptography is the answer to your problem,\n" +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG =
  "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
const PETER = {
  name: "PeterNeumann",
  hash: 0xc74f20a3,
  base64: PETER_SIG.slice(15, -1),
};
const ENOCH = { name: "EnochRoot", hash: 0xaf0cfe78, base64: ENOCH_SIG.slice(12, -1) };

/** The error `fn` throws (fails when it throws nothing). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, got none");
}

/** x/mod's wording of an error (its `err.Error()`), or "" for success. */
async function reasonOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "";
  } catch (e) {
    if (e instanceof NoteError || e instanceof KeyError) return e.reason;
    throw e;
  }
}

Deno.test("base64: Go's StdEncoding rules, and no line breaks", () => {
  const cases: [string, number[] | null][] = [
    ["", []],
    ["AQID", [1, 2, 3]],
    ["AQI=", [1, 2]],
    ["AQ==", [1]],
    ["AR==", [1]], // unused bits set: Go's non-strict decoder accepts them
    ["AQI", null],
    ["AQ=", null],
    ["A===", null],
    ["=AAA", null],
    ["AA=A", null],
    ["AQ\n=", null],
    ["AQ\r\n==", null],
    ["AQ-_", null],
    ["AQé=", null],
    ["AAAAA", null],
  ];
  for (const [input, want] of cases) {
    const got = decodeBase64(input);
    assertEquals(got === null ? null : [...got], want, JSON.stringify(input));
  }
  for (let n = 0; n < 70; n++) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    assertEquals(encodeBase64(data), btoa(String.fromCharCode(...data)));
    assertEquals(decodeBase64(encodeBase64(data)), data);
  }
});

Deno.test("note keys: x/mod's example keys parse, and the signer key yields the verifier key", async () => {
  const v = parseVerifierKey(PETER_VKEY);
  assertEquals([v.name, v.hash, v.publicKey.length], ["PeterNeumann", 0xc74f20a3, 32]);
  const s = await parseSignerKey(PETER_SKEY);
  assertEquals([s.name, s.hash, s.verifierKey], ["PeterNeumann", 0xc74f20a3, PETER_VKEY]);
  assertEquals(keyHash("PeterNeumann", new Uint8Array([1, ...v.publicKey])), 0xc74f20a3);
  assertEquals(formatVerifierKey("PeterNeumann", v.publicKey), PETER_VKEY);
  assertEquals(await signerKeyFromSeed("PeterNeumann", s.seed), PETER_SKEY);
});

Deno.test("note keys: the go command's key for sum.golang.org (its base64 holds '+')", async () => {
  const go = await Deno.readTextFile("/usr/lib/go/src/cmd/go/internal/modfetch/key.go")
    .catch(() => null);
  if (go !== null) {
    assertOk(go.includes(`"${SUM_GOLANG_ORG_KEY}"`), "key differs from the go command's");
  }
  const key = parseVerifierKey(SUM_GOLANG_ORG_KEY);
  assertEquals([key.name, key.hash], ["sum.golang.org", 0x033de0ae]);
  assertEquals(formatVerifierKey(key.name, key.publicKey), SUM_GOLANG_ORG_KEY);
  assertEquals((await newVerifier(SUM_GOLANG_ORG_KEY)).hash, 0x033de0ae);
});

Deno.test("note keys: every substring and every byte change of x/mod's keys is refused", async () => {
  // x/mod TestNewVerifier / TestNewSigner.
  for (
    const [key, parse] of [
      [PETER_VKEY, (k: string) => parseVerifierKey(k)],
      [PETER_SKEY, (k: string) => parseSignerKey(k)],
    ] as const
  ) {
    const bad: string[] = [];
    for (let i = 0; i <= key.length; i++) {
      for (let j = i + 1; j <= key.length; j++) {
        if (i !== 0 || j !== key.length) bad.push(key.slice(i, j));
      }
    }
    for (let i = 0; i < key.length; i++) {
      bad.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
    }
    for (const k of bad) {
      const e = await thrown(() => parse(k));
      assertOk(e instanceof KeyError, `${k}: ${e}`);
    }
  }
  // Wrong key length and unknown algorithm, each with a hash adjusted to match.
  const wrongLength = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
  assertEquals(await reasonOf(() => parseVerifierKey(wrongLength)), "malformed verifier id");
  const unknownAlg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  assertEquals(await reasonOf(() => parseVerifierKey(unknownAlg)), "unknown verifier algorithm");
});

Deno.test("note keys: generated keys sign and verify; bad sizes and names are refused", async () => {
  const { signerKey, verifierKey } = await generateKey("EnochRoot");
  const signer = await newSigner(signerKey);
  const verifier = await newVerifier(verifierKey);
  assertEquals([signer.name, signer.hash], [verifier.name, verifier.hash]);
  const msg = new TextEncoder().encode("hi");
  const sig = await signer.sign(msg);
  assertOk(await verifier.verify(msg, sig));
  sig[0]++;
  assertOk(!await verifier.verify(msg, sig), "corrupt signature verified");
  sig[0]--;
  msg[0]++;
  assertOk(!await verifier.verify(msg, sig), "corrupt message verified");
  assertOk(!await verifier.verify(msg, sig.subarray(0, 63)), "short signature verified");
  assertOk((await thrown(() => formatVerifierKey("x", new Uint8Array(31)))) instanceof RangeError);
  assertOk((await thrown(() => formatVerifierKey("a+b", new Uint8Array(32)))) instanceof TypeError);
  assertOk((await thrown(() => generateKey("a b"))) instanceof TypeError);
  assertOk((await thrown(() => parseVerifierKey("x".repeat(5000)))) instanceof KeyError);
});

Deno.test("signNote: x/mod's example signature, byte for byte; existing signatures", async () => {
  const signer = await newSigner(PETER_SKEY);
  const want = TEXT + "\n" + PETER_SIG;
  assertEquals(await signNote(TEXT, signer), want);
  // The signer's own old signature is replaced.
  const stale = { name: "PeterNeumann", hash: 0xc74f20a3, base64: "BADSIGN=" };
  assertEquals(await signNote({ text: TEXT, sigs: [stale] }, signer), want);
  // Others' signatures are kept, verified first, new ones last.
  assertEquals(
    await signNote({ text: TEXT, unverifiedSigs: [ENOCH] }, signer),
    TEXT + "\n" + ENOCH_SIG + PETER_SIG,
  );
  assertEquals(await reasonOf(() => signNote("abc", signer)), "malformed note");
  const badName = { name: "a+b", hash: 0, base64: "ABCD" };
  assertEquals(await reasonOf(() => signNote({ text: TEXT, sigs: [badName] })), "malformed note");
  const badHash = { ...stale, base64: "BADHASH=" };
  assertEquals(await reasonOf(() => signNote({ text: TEXT, sigs: [badHash] })), "malformed note");
  const badSigner: Signer = { ...signer, name: "bad name" };
  assertEquals(await reasonOf(() => signNote(TEXT, badSigner)), "invalid signer");
});

Deno.test("openNote: x/mod's TestOpen cases", async () => {
  const peter = await newVerifier(PETER_VKEY);
  const enoch = await newVerifier(ENOCH_VKEY);
  const both = TEXT + "\n" + PETER_SIG + ENOCH_SIG;
  const sigsOf = (n: Note) => [n.text, n.sigs, n.unverifiedSigs];

  assertEquals(sigsOf(await openNote(both, [peter])), [TEXT, [PETER], [ENOCH]]);
  assertEquals(sigsOf(await openNote(both, [peter, enoch])), [TEXT, [PETER, ENOCH], []]);
  const unverified = await thrown(() => openNote(both, []));
  assertOk(unverified instanceof UnverifiedNoteError);
  assertEquals(unverified.reason, "note has no verifiable signatures");
  assertEquals(sigsOf(unverified.note), [TEXT, [], [PETER, ENOCH]]);

  assertEquals(
    await reasonOf(() => openNote(TEXT + "\n" + ENOCH_SIG, [enoch, peter, enoch])),
    "ambiguous key EnochRoot+af0cfe78",
  );
  await openNote(TEXT + "\n" + PETER_SIG, [enoch, peter, enoch]); // unused duplicate is fine
  for (const known of [[peter], []]) {
    assertEquals(
      await reasonOf(() => openNote(TEXT + "\n" + PETER_SIG.repeat(101), known)),
      "malformed note",
    );
  }
  const corrupt = TEXT + "\n" + PETER_SIG.slice(0, 60) + "ABCD" + PETER_SIG.slice(60);
  const invalid = await thrown(() => openNote(corrupt, [peter]));
  assertOk(invalid instanceof InvalidSignatureError);
  assertEquals(invalid.reason, "invalid signature for key PeterNeumann+c74f20a3");

  const enochABCD = {
    ...ENOCH,
    base64: ENOCH.base64.slice(0, 46) + "ABCD" + ENOCH.base64.slice(46),
  };
  // x/mod cuts at byte 60; the em dash is 3 bytes but one JavaScript character.
  const dup = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG +
    ENOCH_SIG.slice(0, 58) + "ABCD" + ENOCH_SIG.slice(58);
  assertEquals(sigsOf(await openNote(dup, [peter])), [TEXT, [PETER], [ENOCH, enochABCD]]);

  const badMsgs = [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG.slice(0, -1),
    "\x01" + TEXT + "\n" + PETER_SIG,
    TEXT +
    "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n— PeterNeumann x08gow==\n", // a key hash and no signature
  ];
  for (const msg of badMsgs) {
    assertEquals(await reasonOf(() => openNote(msg, [peter])), "malformed note", msg);
  }
  const invalidUtf8 = new Uint8Array([0xff, ...new TextEncoder().encode(TEXT + "\n" + PETER_SIG)]);
  assertEquals(await reasonOf(() => openNote(invalidUtf8, [peter])), "malformed note");

  // A Verifiers that answers with the wrong key.
  const fixed: Verifiers = { verifier: () => peter };
  for (
    const msg of [
      PETER_SIG.replaceAll("PeterNeumann", "CarmenSandiego"),
      PETER_SIG.replaceAll("x08g", "xxxx"),
    ]
  ) {
    assertEquals(
      await reasonOf(() => openNote(TEXT + "\n" + msg, fixed)),
      "verifier name or hash doesn't match signature",
    );
  }
});

Deno.test("openNote: a note past the size limit is refused before any work", async () => {
  const peter = await newVerifier(PETER_VKEY);
  const big = "x".repeat(MAX_NOTE_BYTES) + "\n\n" + PETER_SIG;
  const e = await thrown(() => openNote(big, [peter]));
  assertOk(e instanceof NoteError && /longer than/.test(e.message), String(e));
  assertOk(verifierList(peter).verifier("PeterNeumann", 0xc74f20a3) === peter);
});

// ---- Against x/mod itself --------------------------------------------------------------

const available = goPrerequisites(["golang.org/x/mod/sumdb/note"]);
const SEED = testSeed("MODYARD_SUMDB_SEED");

const b64 = (s: string | Uint8Array) =>
  encodeBase64(typeof s === "string" ? new TextEncoder().encode(s) : s);
const unb64 = (s: string) =>
  new TextDecoder("utf-8", { ignoreBOM: true }).decode(
    Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
  );

Deno.test({
  name: "x/mod: keys from one seed are identical; each side parses the other's keys alike",
  ignore: !available,
  async fn() {
    const rand = seededRandom(SEED);
    for (
      const name of ["sum.golang.org", "modyard.test/acme", "127.0.0.1:8416/sumdb", "é.example"]
    ) {
      const seed = Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
      const go = await xmodSumdb({ op: "keygen", name, seed: b64(seed) });
      const ts = await generateKey(name, seed);
      assertEquals(ts, { signerKey: go.signerKey, verifierKey: go.verifierKey }, `seed ${SEED}`);
    }
    // Key manglings: x/mod's verdict and reason for each.
    const keys: string[] = [];
    for (let i = 0; i < 400; i++) {
      const base = rand() < 0.5 ? PETER_VKEY : PETER_SKEY;
      const at = Math.floor(rand() * base.length);
      const pick = "+/=aAz09 \u2014é".split("")[Math.floor(rand() * 13)];
      keys.push(
        rand() < 0.5
          ? base.slice(0, at) + pick + base.slice(at + 1)
          : base.slice(0, at) + base.slice(at + 1),
      );
    }
    keys.push(PETER_VKEY.replace("c74f20a3", "C74F20A3")); // uppercase hex: x/mod accepts it
    keys.push("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"); // unknown alg
    keys.push("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="); // size
    const go = await xmodSumdb({ op: "keys", signerKeys: keys, verifierKeys: keys }) as {
      signers: { name: string; hash: number; err: string }[];
      verifiers: { name: string; hash: number; err: string }[];
    };
    const reasons = new Set<string>();
    for (const [i, k] of keys.entries()) {
      reasons.add(go.verifiers[i].err).add(go.signers[i].err);
      assertEquals(
        await reasonOf(() => parseVerifierKey(k)),
        go.verifiers[i].err,
        `vkey ${k} (seed ${SEED})`,
      );
      assertEquals(
        await reasonOf(() => parseSignerKey(k)),
        go.signers[i].err,
        `skey ${k} (seed ${SEED})`,
      );
    }
    assertEquals(reasons.size, 4, [...reasons].join("; ")); // "", and x/mod's three reasons
  },
});

Deno.test({
  name: "x/mod: Go opens what modyard signed and modyard opens what Go signed",
  ignore: !available,
  async fn() {
    const rand = seededRandom(SEED);
    const keyPairs = await Promise.all(
      ["a.example/sumdb", "b.example", "c.example/x"].map((n, i) =>
        generateKey(n, Uint8Array.from({ length: 32 }, (_, j) => (i * 7 + j * 13 + SEED) % 256))
      ),
    );
    const texts = [
      "go.sum database tree\n5\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n",
      "é — ünïcödé \u{1F600}\n",
      "\uFEFFleading byte-order mark\n",
      "a\n\nblank line inside\n",
      "\n",
    ];
    for (const text of texts) {
      const signers = await Promise.all(keyPairs.map((k) => newSigner(k.signerKey)));
      const ours = await signNote(text, ...signers);
      const skeys = keyPairs.map((k) => k.signerKey);
      const vkeys = keyPairs.map((k) => k.verifierKey);
      const theirs = await xmodSumdb({ op: "sign", signerKeys: skeys, text });
      assertEquals(ours, unb64(theirs.msg as string), `signatures of ${JSON.stringify(text)}`);
      const opened = (await xmodSumdb({ op: "open", verifierKeys: vkeys, msg: b64(ours) }))
        .opened as {
          text: string;
          err: string;
          sigs: unknown[];
        };
      assertEquals([opened.err, opened.text, opened.sigs.length], ["", text, 3]);
      const n = await openNote(
        unb64(theirs.msg as string),
        await Promise.all(vkeys.map(newVerifier)),
      );
      assertEquals([n.text, n.sigs.length], [text, 3]);
      // Re-signing by one key keeps the others' signatures, in x/mod's order.
      const partial = { text, sigs: n.sigs.slice(0, 2), unverifiedSigs: [] };
      const resigned = await signNote(partial, signers[0]);
      const goResigned = await xmodSumdb({
        op: "sign",
        signerKeys: [skeys[0]],
        text,
        sigs: partial.sigs,
      });
      assertEquals(resigned, unb64(goResigned.msg as string));
    }
    void rand;
  },
});

Deno.test({
  name: "x/mod: verifier keys of odd points (not on the curve, small order) get x/mod's verdicts",
  ignore: !available,
  async fn() {
    for (const fill of [0xff, 0x00, 0xee]) {
      const vkey = formatVerifierKey("bad.example", new Uint8Array(32).fill(fill));
      const hash = parseVerifierKey(vkey).hash;
      const raw = new Uint8Array(68);
      new DataView(raw.buffer).setUint32(0, hash);
      const msg = `${TEXT}\n— bad.example ${encodeBase64(raw)}\n`;
      const go = (await xmodSumdb({ op: "open", verifierKeys: [vkey], msg: b64(msg) })).opened as {
        err: string;
      };
      const ours = await reasonOf(async () => openNote(msg, [await newVerifier(vkey)]));
      assertEquals(ours, go.err, `fill ${fill}`);
      // The all-zero key is a small-order point: with the all-zero signature, both Go and
      // Web Crypto accept this text (the cofactorless equation holds for it). Pinned, so a
      // change on either side is seen; a key of such a point is never one a signer makes.
      const want = fill === 0
        ? ""
        : `invalid signature for key bad.example+${formatKeyHashHex(hash)}`;
      assertEquals(ours, want, `fill ${fill}`);
    }
  },
});

const formatKeyHashHex = (h: number) => h.toString(16).padStart(8, "0");

/** An Ed25519 signature with L added to S: the same point, a non-canonical scalar. */
function nonCanonical(sig: Uint8Array): Uint8Array {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
  s += L;
  const out = sig.slice();
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 255n);
    s >>= 8n;
  }
  return out;
}

Deno.test({
  name: "x/mod: seeded mutations of signed notes get x/mod's verdict and reason",
  ignore: !available,
  async fn() {
    const rand = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const peter = await newVerifier(PETER_VKEY);
    const enoch = await newVerifier(ENOCH_VKEY);
    const sig = Uint8Array.from(atob(PETER.base64), (c) => c.charCodeAt(0));
    const highS = "— PeterNeumann " +
      encodeBase64(new Uint8Array([...sig.subarray(0, 4), ...nonCanonical(sig.subarray(4))])) +
      "\n";
    const base = [
      TEXT + "\n" + PETER_SIG,
      TEXT + "\n" + PETER_SIG + ENOCH_SIG,
      TEXT + "\n" + ENOCH_SIG + PETER_SIG + PETER_SIG,
      TEXT + "\n" + highS,
      TEXT + "\n— PeterNeumann x08gow==\n" + ENOCH_SIG,
    ];
    const pieces = [
      "\n",
      "\n\n",
      " ",
      "—",
      "— ",
      "+",
      "=",
      "A",
      "\r",
      "\t",
      "\x00",
      "é",
      "\u2028",
      "\xa0",
    ];
    const msgs: string[] = [...base];
    for (let i = 0; i < 600; i++) {
      let m = pick(base);
      for (let k = 1 + Math.floor(rand() * 2); k > 0; k--) {
        const at = Math.floor(rand() * m.length);
        const r = rand();
        if (r < 0.4) m = m.slice(0, at) + pick(pieces) + m.slice(at);
        else if (r < 0.7) m = m.slice(0, at) + m.slice(at + 1 + Math.floor(rand() * 3));
        else m = m.slice(0, at) + pick(pieces) + m.slice(at + 1);
      }
      msgs.push(m);
    }
    msgs.push(TEXT + "\n" + PETER_SIG.repeat(100), TEXT + "\n" + ENOCH_SIG.repeat(101));
    const seen = new Set<string>();
    for (const known of [[PETER_VKEY], [PETER_VKEY, ENOCH_VKEY], [ENOCH_VKEY]]) {
      const verifiers = known.map((k) => k === PETER_VKEY ? peter : enoch);
      const { openedMany } = await xmodSumdb({
        op: "open",
        verifierKeys: known,
        msg: "",
        msgs: msgs.map(b64),
      }) as { openedMany: { text: string; err: string; sigs: unknown[]; unverified: unknown[] }[] };
      for (const [i, m] of msgs.entries()) {
        const go = openedMany[i];
        let ours: unknown[] = [];
        const reason = await reasonOf(async () => {
          const n = await openNote(m, verifiers);
          ours = [n.text, n.sigs, n.unverifiedSigs];
        });
        const ctx = `seed ${SEED}, known ${known.length}: ${JSON.stringify(m)}`;
        assertEquals(reason, go.err, ctx);
        seen.add(reason.replace(/ for key .*/, ""));
        if (reason === "") assertEquals(ours, [go.text, go.sigs, go.unverified], ctx);
      }
    }
    // The mutations reach every verdict.
    assertEquals([...seen].sort(), [
      "",
      "invalid signature",
      "malformed note",
      "note has no verifiable signatures",
    ]);
    // The non-canonical signature: x/mod refuses it, and so must modyard.
    assertEquals(
      await reasonOf(() => openNote(TEXT + "\n" + highS, [peter])),
      "invalid signature for key PeterNeumann+c74f20a3",
    );
  },
});
