/**
 * The size of the store from its counters: the per-owner usage counters that publishing and
 * deleting keep (`["counter", owner, …]`, three keys an owner) and the pull-through byte
 * counter. Reading them is one `list` over three keys per owner — never a scan of versions or
 * chunks; the app keeps the result in its state cache, so it is read again only after the
 * store changed.
 *
 * @module
 */

import { keys } from "../store/keys.ts";

/** Totals over all owners. */
export interface UsageTotals {
  /** Live versions. */
  versions: number;
  /** Modules with at least one live version. */
  modules: number;
  /** Bytes of the live versions' zips. */
  bytes: number;
  /** Owners with usage counters (ever published). */
  owners: number;
}

/** The store totals a scrape shows. */
export interface StoreSize extends UsageTotals {
  /** Bytes held by the pull-through cache. */
  upstreamBytes: number;
}

/**
 * Sums the usage counters of every owner.
 *
 * @example
 * ```ts
 * const totals = await readUsageTotals(kv); // { versions: 3, modules: 2, bytes: 2048, owners: 1 }
 * ```
 */
export async function readUsageTotals(kv: Deno.Kv): Promise<UsageTotals> {
  const totals: UsageTotals = { versions: 0, modules: 0, bytes: 0, owners: 0 };
  let last: unknown = undefined;
  // Keys come in order, so an owner's three counters are adjacent.
  for await (const e of kv.list<Deno.KvU64>({ prefix: keys.counters() })) {
    if (e.key[1] !== last) totals.owners++;
    last = e.key[1];
    const value = e.value instanceof Deno.KvU64 ? Number(e.value.value) : 0;
    const name = e.key[2];
    if (name === "versions") totals.versions += value;
    else if (name === "modules") totals.modules += value;
    else if (name === "bytes") totals.bytes += value;
  }
  return totals;
}

/** Bytes the pull-through cache holds (its one counter). */
export async function readUpstreamBytes(kv: Deno.Kv): Promise<number> {
  const entry = await kv.get<Deno.KvU64>(keys.upstreamBytes());
  return entry.value instanceof Deno.KvU64 ? Number(entry.value.value) : 0;
}
