/**
 * The check of an entry's proof (`entryProof`), in the browser with WebCrypto: the same
 * rules as the server's `proofProblem` (src/ledger/ledger-seal.ts, where the format is
 * defined), so a resident's phone need not trust the server's own `valid`.
 *
 *   leaf   = SHA-256(0x00 ‖ UTF-8 of canonicalEntry)
 *   parent = SHA-256(0x01 ‖ left ‖ right), climbing the path (the side says where the sibling goes)
 *   seal   = SHA-256(previousSeal ‖ merkleRoot)
 */
export type ProofSide = 'LEFT' | 'RIGHT';

export interface SealProof {
  canonicalEntry: string;
  leafIndex: number;
  leafCount: number;
  path: { side: ProofSide; hash: string }[];
  merkleRoot: string;
  previousSeal: string;
  seal: string;
}

/** What the proof must also match: the seal shown for the month, and the passbook line it is for. */
export interface ProofExpectation {
  seal?: string;
  entryId?: string;
  /** The line's amount: one of the entry's postings must move exactly this. */
  amount?: number;
}

/** The sides of the path of leaf `index` among `leafCount` (an odd last node climbs without a sibling). */
export function auditSides(leafCount: number, index: number): ProofSide[] {
  const sides: ProofSide[] = [];
  for (let size = leafCount; size > 1; size = Math.ceil(size / 2), index >>= 1) {
    const sibling = index ^ 1;
    if (sibling < size) sides.push(sibling < index ? 'LEFT' : 'RIGHT');
  }
  return sides;
}

const HEX = /^[0-9a-f]{64}$/;

/** What is wrong with a proof, in Chinese, or null when it holds. Needs WebCrypto (HTTPS or localhost). */
export async function proofProblem(proof: SealProof, expected: ProofExpectation = {}): Promise<string | null> {
  if (![proof.merkleRoot, proof.previousSeal, proof.seal, ...proof.path.map((s) => s.hash)].every((h) => HEX.test(h))) {
    return '证明格式不正确：哈希值须为64位小写十六进制';
  }
  if (!Number.isInteger(proof.leafCount) || !Number.isInteger(proof.leafIndex) || proof.leafIndex < 0 || proof.leafIndex >= proof.leafCount) {
    return '证明格式不正确：条目位置超出范围';
  }
  const sides = auditSides(proof.leafCount, proof.leafIndex);
  if (sides.length !== proof.path.length || sides.some((side, i) => side !== proof.path[i].side)) return '证明路径与条目位置不符';
  if (expected.entryId !== undefined || expected.amount !== undefined) {
    const entry = readCanonicalEntry(proof.canonicalEntry);
    if (!entry || (expected.entryId !== undefined && entry.entryId !== expected.entryId) || (expected.amount !== undefined && !entry.amounts.includes(expected.amount))) {
      return '证明中的记账与存折上的这一笔不符';
    }
  }
  let node = await sha256(Uint8Array.of(0), new TextEncoder().encode(proof.canonicalEntry));
  for (const step of proof.path) {
    const sibling = fromHex(step.hash);
    node = step.side === 'LEFT' ? await sha256(Uint8Array.of(1), sibling, node) : await sha256(Uint8Array.of(1), node, sibling);
  }
  if (toHex(node) !== proof.merkleRoot) return '由条目和路径算出的默克尔根与证明中的根不符';
  const seal = toHex(await sha256(fromHex(proof.previousSeal), node));
  if (seal !== proof.seal) return '由上月封存值和默克尔根算出的封存值与证明中的封存值不符';
  if (expected.seal !== undefined && seal !== expected.seal.toLowerCase()) return '封存值与公布的封存值不符';
  return null;
}

/** The parts of a canonical entry (format cb-entry-v1) a resident can read, or null if it is not one. */
export function readCanonicalEntry(canonical: string): { entryId: string; kind: string; memo: string; bookedAt: string; amounts: number[] } | null {
  try {
    const [format, , entryId, kind, memo, , , bookedAt, , postings] = JSON.parse(canonical);
    if (format !== 'cb-entry-v1' || !Array.isArray(postings)) return null;
    return { entryId, kind, memo, bookedAt, amounts: postings.map((p: [string, number]) => p[1]) };
  } catch {
    return null;
  }
}

/** A hash as people read it aloud from a notice board: groups of four, `3f2a 9c01 …`. */
export function groupHex(hex: string): string {
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  if (!globalThis.crypto?.subtle) throw new Error('NO_WEBCRYPTO');
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
