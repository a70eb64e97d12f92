/**
 * Where webhooks may be delivered: http(s) URLs only, and — unless the operator allows it
 * (`--webhook-allow-private`) — never to loopback, private, shared (CGNAT), link-local,
 * unique-local, multicast or otherwise reserved addresses, judged on every address the host
 * name resolves to at delivery time (DNS can change after registration).
 *
 * @module
 */

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2000;

/** Thrown when a delivery target is refused; the message says why. */
export class TargetRefusedError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TargetRefusedError";
  }
}

/**
 * Checks the shape of a webhook URL: http or https, at most {@link MAX_WEBHOOK_URL_LENGTH}
 * characters, a host, no user name or password. Returns the parsed URL; throws a
 * `RangeError`. With `allowPrivate` false, a literal non-public address or a `localhost`
 * name is refused already here.
 *
 * @example
 * ```ts
 * checkWebhookUrl("https://ci.example.com/hook", false).host; // "ci.example.com"
 * ```
 */
export function checkWebhookUrl(text: string, allowPrivate: boolean): URL {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new RangeError(`the URL must have at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`${JSON.stringify(text.slice(0, 80))} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RangeError(`the URL must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new RangeError("the URL must not carry a user name or password; the secret signs");
  }
  if (url.hostname === "") throw new RangeError("the URL has no host");
  if (!allowPrivate) {
    const host = bareHost(url.hostname);
    const literal = addressKind(host);
    if (literal !== null && literal !== "public") throw new RangeError(refusal(host, literal));
    if (host === "localhost" || host.endsWith(".localhost")) {
      throw new RangeError(refusal(host, "loopback"));
    }
  }
  return url;
}

/** Resolves a host name to its IPv4 and IPv6 addresses. */
export type Resolver = (host: string) => Promise<string[]>;

/** The addresses of `host` from DNS (A and AAAA), within `timeoutMs`. */
export function dnsResolver(timeoutMs: number): Resolver {
  return async (host) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const [a, aaaa] = await Promise.allSettled([
      Deno.resolveDns(host, "A", { signal }),
      Deno.resolveDns(host, "AAAA", { signal }),
    ]);
    const out: string[] = [];
    if (a.status === "fulfilled") out.push(...a.value);
    if (aaaa.status === "fulfilled") out.push(...aaaa.value);
    return out;
  };
}

/**
 * Refuses a delivery to `url` unless every address its host resolves to (or the literal
 * address it names) is public; does nothing when private targets are allowed. Throws a
 * {@link TargetRefusedError}.
 */
export async function checkTarget(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolver,
): Promise<void> {
  if (allowPrivate) return;
  const host = bareHost(url.hostname);
  const literal = addressKind(host);
  let addresses: string[];
  if (literal !== null) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new TargetRefusedError(`${host} did not resolve: ${(err as Error).message}`);
    }
    if (addresses.length === 0) throw new TargetRefusedError(`${host} did not resolve`);
  }
  for (const address of addresses) {
    const kind = addressKind(address);
    if (kind !== "public") {
      throw new TargetRefusedError(
        refusal(address === host ? host : `${host} (${address})`, kind ?? "reserved"),
      );
    }
  }
}

function refusal(what: string, kind: string): string {
  return `${what} is a ${kind} address; webhooks may only reach public addresses ` +
    `unless the server runs with --webhook-allow-private`;
}

/** `[::1]` → `::1`. */
function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** What kind of address a text is, or `null` when it is no IP address. */
export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "reserved";

/**
 * The kind of an IPv4 or IPv6 address text; `null` for a text that is neither (a name).
 *
 * @example
 * ```ts
 * addressKind("10.1.2.3"); // "private"
 * addressKind("::ffff:127.0.0.1"); // "loopback"
 * addressKind("example.com"); // null
 * ```
 */
export function addressKind(text: string): AddressKind | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return ipv4Kind(v4);
  const v6 = parseIpv6(text);
  if (v6 !== null) return ipv6Kind(v6);
  return null;
}

function parseIpv4(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** IPv4 ranges that are not public: [first octets, prefix length, kind]. */
const V4_RANGES: [number[], number, AddressKind][] = [
  [[0], 8, "reserved"],
  [[10], 8, "private"],
  [[100, 64], 10, "private"], // shared address space (carrier-grade NAT)
  [[127], 8, "loopback"],
  [[169, 254], 16, "link-local"],
  [[172, 16], 12, "private"],
  [[192, 0, 0], 24, "reserved"],
  [[192, 0, 2], 24, "reserved"],
  [[192, 168], 16, "private"],
  [[198, 18], 15, "reserved"],
  [[198, 51, 100], 24, "reserved"],
  [[203, 0, 113], 24, "reserved"],
  [[224], 4, "multicast"],
  [[240], 4, "reserved"],
];

function ipv4Kind(octets: number[]): AddressKind {
  const n = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  for (const [start, bits, kind] of V4_RANGES) {
    const base = ((start[0] << 24) | ((start[1] ?? 0) << 16) | ((start[2] ?? 0) << 8)) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === ((base & mask) >>> 0)) return kind;
  }
  return "public";
}

/** Eight 16-bit groups, or `null`. */
function parseIpv6(text: string): number[] | null {
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array(fill).fill(0), ...tail];
}

function ipv6Kind(g: number[]): AddressKind {
  const embedded = () => [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff];
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(5) && g[5] === 0xffff) return ipv4Kind(embedded()); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return ipv4Kind(embedded()); // NAT64
  }
  if (zeroUpTo(7) && g[7] === 1) return "loopback";
  if (g[0] === 0) return "reserved"; // unspecified, IPv4-compatible and the rest of ::/16
  if (g[0] === 0x2002) return ipv4Kind([g[1] >> 8, g[1] & 0xff, g[2] >> 8, g[2] & 0xff]); // 6to4
  if ((g[0] & 0xfe00) === 0xfc00) return "unique-local";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "private"; // site-local (deprecated)
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved"; // documentation
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return "reserved"; // discard
  return "public";
}
