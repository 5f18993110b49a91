import { hash } from 'node:crypto';

/**
 * DESIGN NOTE: how a month of the ledger is sealed. This is a published format: a
 * villager's copy of a seal is checked against it years later, so nothing here may
 * change (a new format would be a new version string and a new function).
 *
 * 1. The canonical form of an entry is the JSON text, without any whitespace, of
 *
 *      ["cb-entry-v1", township id, entry id, kind, memo, reference type, reference id,
 *       booked time, reversed entry id, [[account id, amount], ...]]
 *
 *    - ids are strings: township and account ids as lowercase UUIDs, entry ids in decimal;
 *    - reference type, reference id and reversed entry id are `null` when absent;
 *    - booked time is UTC with microseconds, exactly as stored: `2026-10-03T04:05:06.123456Z`;
 *    - postings are [account id, amount] with the amount a JSON integer (points; negative
 *      is a debit), ordered by account id (byte order of the lowercase text), then amount;
 *    - strings are written as JSON.stringify writes them (RFC 8259: `"` `\` and control
 *      characters escaped, \u00xx in lowercase hex, everything else as UTF-8).
 *    e.g. ["cb-entry-v1","6cc7…","1042","MINT","平安有我 消防安全宣传","ACTIVITY","9b1e…",
 *          "2026-10-03T04:05:06.123456Z",null,[["0a4f…",-2],["f310…",2]]]
 *
 * 2. leaf = SHA-256(0x00 ‖ UTF-8 bytes of the canonical form).
 *
 * 3. The month's Merkle root is RFC 6962's Merkle Tree Hash over the leaves of the month's
 *    entries in ascending entry id: node = SHA-256(0x01 ‖ left ‖ right); computed level by
 *    level, an odd last node is carried up to the next level unchanged (this is RFC 6962's
 *    split at the largest power of two, never a duplicated node); a month with no entries
 *    has root SHA-256 of nothing (e3b0c442…). The 0x00/0x01 prefixes keep a leaf from
 *    ever passing for an inner node.
 *
 * 4. seal(month) = SHA-256(seal(previous month) ‖ root(month)), over the raw 32-byte
 *    values. A township's chain starts at its first closed month with 32 zero bytes as
 *    the previous seal, and runs month by month with no gap (empty months included), so
 *    one published seal vouches for every month up to it.
 *
 * Hashes are shown as 64 lowercase hex characters. Hashing happens when a month is
 * closed and settled, never at booking, so bookings stay concurrent.
 */
export const ENTRY_FORMAT = 'cb-entry-v1';
export const HASH_BYTES = 32;
export const GENESIS_SEAL = Buffer.alloc(HASH_BYTES);
export const EMPTY_ROOT = sha256(Buffer.alloc(0));

/** What is sealed of an entry: everything that says what happened, nothing about who typed it. */
export interface SealedEntry {
  townshipId: string;
  id: string;
  kind: string;
  memo: string;
  referenceType: string | null;
  referenceId: string | null;
  /** UTC with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (BOOKED_AT_SQL). */
  bookedAt: string;
  reversesEntryId: string | null;
  postings: { accountId: string; amount: number }[];
}

/** A journal_entry's booked time in the canonical form, whatever the session's DateStyle and TimeZone. */
export const BOOKED_AT_SQL = `to_char(booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The canonical form of an entry (1. above). The settlement computes the same text in SQL
 * for a whole month at once (LEAF in ledger-seal.service.ts); the tests hold the two
 * to each other for any memo.
 */
export function canonicalEntry(entry: SealedEntry): string {
  return JSON.stringify([
    ENTRY_FORMAT,
    entry.townshipId.toLowerCase(),
    entry.id,
    entry.kind,
    entry.memo,
    entry.referenceType,
    entry.referenceId,
    entry.bookedAt,
    entry.reversesEntryId,
    sortedPostings(entry.postings),
  ]);
}

/** Postings as [lowercase account id, amount], by account id then amount. */
export function sortedPostings(postings: { accountId: string; amount: number }[]): [string, number][] {
  return postings
    .map((p): [string, number] => [p.accountId.toLowerCase(), p.amount])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

export function leafHash(canonical: string): Buffer {
  // U+0000 is the single byte 0x00 in UTF-8: the leaf prefix.
  return hash('sha256', `\0${canonical}`, 'buffer');
}

const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 1 + HASH_BYTES);
  return hash('sha256', nodeInput, 'buffer');
}

export function chainSeal(previousSeal: Buffer, root: Buffer): Buffer {
  return sha256(Buffer.concat([previousSeal, root]));
}

/** Nodes per level, leaves first: n, ⌈n/2⌉, …, 1 (none for an empty month). */
export function levelSizes(leafCount: number): number[] {
  const sizes: number[] = [];
  for (let size = leafCount; size > 0; size = size === 1 ? 0 : Math.ceil(size / 2)) sizes.push(size);
  return sizes;
}

/**
 * The whole tree, stored as every level one after the other (leaves first), 32 bytes a
 * node; the root is the last node. `leaves` holds the leaf hashes back to back.
 */
export function merkleTree(leaves: Buffer): { tree: Buffer; root: Buffer } {
  const sizes = levelSizes(leaves.length / HASH_BYTES);
  if (!sizes.length) return { tree: Buffer.alloc(0), root: EMPTY_ROOT };
  const tree = Buffer.allocUnsafe(sizes.reduce((s, n) => s + n, 0) * HASH_BYTES);
  leaves.copy(tree, 0);
  let from = 0;
  let to = sizes[0] * HASH_BYTES;
  for (let level = 0; level + 1 < sizes.length; level++) {
    const size = sizes[level];
    for (let i = 0; i + 1 < size; i += 2, to += HASH_BYTES) {
      const left = tree.subarray(from + i * HASH_BYTES, from + (i + 1) * HASH_BYTES);
      const right = tree.subarray(from + (i + 1) * HASH_BYTES, from + (i + 2) * HASH_BYTES);
      nodeHash(left, right).copy(tree, to);
    }
    if (size % 2) {
      tree.copy(tree, to, from + (size - 1) * HASH_BYTES, from + size * HASH_BYTES);
      to += HASH_BYTES;
    }
    from += size * HASH_BYTES;
  }
  return { tree, root: Buffer.from(tree.subarray(tree.length - HASH_BYTES)) };
}

export enum ProofSide {
  /** The sibling is on the left: parent = H(0x01 ‖ sibling ‖ current). */
  LEFT = 'LEFT',
  /** The sibling is on the right: parent = H(0x01 ‖ current ‖ sibling). */
  RIGHT = 'RIGHT',
}

/**
 * Where the audit path of leaf `index` lies in the stored tree: for each level where the
 * node has a sibling, the sibling's byte offset and side (a carried node has none).
 */
export function auditPath(leafCount: number, index: number): { offset: number; side: ProofSide }[] {
  const path: { offset: number; side: ProofSide }[] = [];
  let levelStart = 0;
  for (const size of levelSizes(leafCount)) {
    if (size === 1) break;
    const sibling = index ^ 1;
    if (sibling < size) path.push({ offset: (levelStart + sibling) * HASH_BYTES, side: sibling < index ? ProofSide.LEFT : ProofSide.RIGHT });
    levelStart += size;
    index >>= 1;
  }
  return path;
}

export interface SealProof {
  canonicalEntry: string;
  leafIndex: number;
  leafCount: number;
  path: { side: ProofSide; hash: string }[];
  merkleRoot: string;
  previousSeal: string;
  seal: string;
}

/**
 * Checks a proof that an entry is inside a seal: its leaf, climbed up its path, gives the
 * root, and the root chained to the previous seal gives the seal. The path must have the
 * shape the leaf's position dictates. Returns what is wrong, in Chinese, or null.
 */
export function proofProblem(proof: SealProof, expectedSeal?: string): string | null {
  const hex = /^[0-9a-f]{64}$/;
  if (![proof.merkleRoot, proof.previousSeal, proof.seal, ...proof.path.map((s) => s.hash)].every((h) => hex.test(h))) {
    return '证明格式不正确：哈希值须为64位小写十六进制';
  }
  if (!Number.isInteger(proof.leafCount) || !Number.isInteger(proof.leafIndex) || proof.leafIndex < 0 || proof.leafIndex >= proof.leafCount) {
    return '证明格式不正确：条目位置超出范围';
  }
  const shape = auditPath(proof.leafCount, proof.leafIndex);
  if (shape.length !== proof.path.length || shape.some((s, i) => s.side !== proof.path[i].side)) {
    return '证明路径与条目位置不符';
  }
  let node = leafHash(proof.canonicalEntry);
  for (const step of proof.path) {
    const sibling = Buffer.from(step.hash, 'hex');
    node = step.side === ProofSide.LEFT ? nodeHash(sibling, node) : nodeHash(node, sibling);
  }
  if (node.toString('hex') !== proof.merkleRoot) return '由条目和路径算出的默克尔根与证明中的根不符';
  const seal = chainSeal(Buffer.from(proof.previousSeal, 'hex'), node).toString('hex');
  if (seal !== proof.seal) return '由上月封存值和默克尔根算出的封存值与证明中的封存值不符';
  if (expectedSeal !== undefined && seal !== expectedSeal.toLowerCase()) return '封存值与公布的封存值不符';
  return null;
}

function sha256(data: Buffer): Buffer {
  return hash('sha256', data, 'buffer');
}
