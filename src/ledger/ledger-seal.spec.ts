import fc from 'fast-check';
import { createHash, randomUUID } from 'node:crypto';
import {
  auditPath,
  canonicalEntry,
  chainSeal,
  EMPTY_ROOT,
  GENESIS_SEAL,
  HASH_BYTES,
  leafHash,
  merkleTree,
  nodeHash,
  ProofSide,
  proofProblem,
  SealedEntry,
  SealProof,
} from './ledger-seal';
import { contentHash } from './ledger.rules';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** RFC 6962's Merkle Tree Hash as the RFC writes it (recursive split at the largest power of two): the reference. */
function rfc6962Root(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.concat([Buffer.from([1]), rfc6962Root(leaves.slice(0, k)), rfc6962Root(leaves.slice(k))]));
}

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(`entry ${i}`));

function proofFor(leaves: Buffer[], index: number, previousSeal = GENESIS_SEAL): SealProof {
  const { tree, root } = merkleTree(Buffer.concat(leaves));
  return {
    canonicalEntry: `entry ${index}`,
    leafIndex: index,
    leafCount: leaves.length,
    path: auditPath(leaves.length, index).map((p) => ({ side: p.side, hash: tree.subarray(p.offset, p.offset + HASH_BYTES).toString('hex') })),
    merkleRoot: root.toString('hex'),
    previousSeal: previousSeal.toString('hex'),
    seal: chainSeal(previousSeal, root).toString('hex'),
  };
}

const entry = (over: Partial<SealedEntry> = {}): SealedEntry => ({
  townshipId: '6cc72bfe-87d8-4324-82b3-9ea3cebc4479',
  id: '1042',
  kind: 'MINT',
  memo: '平安有我 消防安全宣传',
  referenceType: 'ACTIVITY',
  referenceId: '9b1e2c1a-0000-4000-8000-000000000001',
  bookedAt: '2026-10-03T04:05:06.123456Z',
  reversesEntryId: null,
  postings: [
    { accountId: 'f3100000-0000-4000-8000-000000000000', amount: 2 },
    { accountId: '0a4f0000-0000-4000-8000-000000000000', amount: -2 },
  ],
  ...over,
});

describe('the sealing format (ledger-seal.ts)', () => {
  it('computes RFC 6962 tree hashes: the certificate-transparency test vectors', () => {
    // Leaves and roots from RFC 6962 implementations' shared test data (sizes 1-8), and the empty tree.
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    // These leaf inputs are ASCII, so the UTF-8 string leafHash takes is the same bytes.
    const leaves = inputs.map((hex) => leafHash(Buffer.from(hex, 'hex').toString('latin1')));
    roots.forEach((root, i) => expect(merkleTree(Buffer.concat(leaves.slice(0, i + 1))).root.toString('hex')).toBe(root));
    expect(merkleTree(Buffer.alloc(0)).root.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_ROOT).toEqual(sha256(Buffer.alloc(0)));
  });

  it('builds the same root as the recursive definition for every size up to 300, and stores the root last', () => {
    for (let n = 0; n <= 300; n++) {
      const leaves = leavesOf(n);
      const { tree, root } = merkleTree(Buffer.concat(leaves));
      expect(root).toEqual(rfc6962Root(leaves));
      if (n) expect(tree.subarray(tree.length - HASH_BYTES)).toEqual(root);
    }
  });

  it('gives every leaf a path that climbs to the root, for every size and position up to 70', () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = leavesOf(n);
      for (let i = 0; i < n; i++) {
        const proof = proofFor(leaves, i);
        expect(proofProblem(proof)).toBeNull();
        expect(proof.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }
    }
  });

  it('refuses a proof with anything changed: the entry, a path hash, a side, the position, the root, the previous seal, the seal', () => {
    const leaves = leavesOf(13);
    const proof = proofFor(leaves, 6, sha256(Buffer.from('上月')));
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    expect(proofProblem(proof)).toBeNull();
    expect(proofProblem({ ...proof, canonicalEntry: 'entry 7' })).toMatch(/默克尔根/);
    expect(proofProblem({ ...proof, path: proof.path.map((s, i) => (i === 1 ? { ...s, hash: flip(s.hash) } : s)) })).toMatch(/默克尔根/);
    expect(proofProblem({ ...proof, path: proof.path.map((s, i) => (i === 0 ? { ...s, side: s.side === ProofSide.LEFT ? ProofSide.RIGHT : ProofSide.LEFT } : s)) })).toMatch(/路径/);
    expect(proofProblem({ ...proof, leafIndex: 7 })).toMatch(/路径|默克尔根/);
    expect(proofProblem({ ...proof, path: proof.path.slice(1) })).toMatch(/路径/);
    expect(proofProblem({ ...proof, merkleRoot: flip(proof.merkleRoot) })).toMatch(/默克尔根/);
    expect(proofProblem({ ...proof, previousSeal: flip(proof.previousSeal) })).toMatch(/封存值/);
    expect(proofProblem({ ...proof, seal: flip(proof.seal) })).toMatch(/封存值/);
    expect(proofProblem(proof, flip(proof.seal))).toMatch(/公布/);
    expect(proofProblem(proof, proof.seal.toUpperCase())).toBeNull();
    expect(proofProblem({ ...proof, seal: 'not hex' })).toMatch(/格式/);
  });

  it('chains seals: SHA-256 of the previous seal and the root, from 32 zero bytes', () => {
    const root = merkleTree(Buffer.concat(leavesOf(5))).root;
    expect(chainSeal(GENESIS_SEAL, root)).toEqual(sha256(Buffer.concat([Buffer.alloc(32), root])));
    // A leaf and an inner node never share a preimage: their first bytes differ.
    expect(leafHash('x')).toEqual(sha256(Buffer.from('\0x')));
    expect(nodeHash(leafHash('a'), leafHash('b'))).toEqual(sha256(Buffer.concat([Buffer.from([1]), leafHash('a'), leafHash('b')])));
  });

  it('writes an entry as the documented JSON array, without whitespace, postings by account id', () => {
    expect(canonicalEntry(entry())).toBe(
      '["cb-entry-v1","6cc72bfe-87d8-4324-82b3-9ea3cebc4479","1042","MINT","平安有我 消防安全宣传","ACTIVITY",' +
        '"9b1e2c1a-0000-4000-8000-000000000001","2026-10-03T04:05:06.123456Z",null,' +
        '[["0a4f0000-0000-4000-8000-000000000000",-2],["f3100000-0000-4000-8000-000000000000",2]]]',
    );
    expect(canonicalEntry(entry({ kind: 'REVERSAL', reversesEntryId: '77', referenceType: null, referenceId: null }))).toContain(
      '"REVERSAL","平安有我 消防安全宣传",null,null,"2026-10-03T04:05:06.123456Z","77",',
    );
  });

  it('is exactly JSON.stringify of the documented array, for any memo, reference and postings', () => {
    const uuid = fc.uuid().map((u) => u.toLowerCase());
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.option(fc.string({ unit: 'binary' })),
        fc.option(fc.string({ unit: 'binary' })),
        fc.array(fc.tuple(uuid, fc.integer({ min: -1_000_000, max: 1_000_000 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.bigInt({ min: 1n, max: 2n ** 62n })),
        (memo, referenceType, referenceId, lines, reverses) => {
          const e = entry({
            memo,
            referenceType,
            referenceId,
            reversesEntryId: reverses === null ? null : String(reverses),
            postings: lines.map(([accountId, amount]) => ({ accountId, amount })),
          });
          const postings = [...lines].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
          const reference = [
            'cb-entry-v1', e.townshipId, e.id, e.kind, memo, referenceType, referenceId, e.bookedAt, e.reversesEntryId, postings,
          ];
          expect(canonicalEntry(e)).toBe(JSON.stringify(reference));
        },
      ),
    );
  });

  it('keeps the content hash of every entry booked before sealing existed (ordering by localeCompare, any case)', () => {
    // The hash stored at booking used to sort with localeCompare on the ids as given.
    const before = (kind: string, memo: string, lines: { accountId: string; amount: number }[], ref?: { type: string; id: string }, reverses?: string) => {
      const sorted = [...lines].sort((a, b) => a.accountId.localeCompare(b.accountId)).map((l) => [l.accountId.toLowerCase(), l.amount]);
      return createHash('sha256').update(JSON.stringify([kind, memo, ref?.type ?? null, ref?.id ?? null, reverses ?? null, sorted])).digest('hex');
    };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uuid(), { minLength: 2, maxLength: 5, selector: (u) => u.toLowerCase() }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.string({ unit: 'grapheme' }),
        (ids, upper, memo) => {
          const lines = ids.map((id, i) => ({ accountId: upper[i] ? id.toUpperCase() : id, amount: i + 1 }));
          const activity = { type: 'ACTIVITY', id: randomUUID() };
          expect(contentHash('REVERSAL', memo, lines, activity, '12')).toBe(before('REVERSAL', memo, lines, activity, '12'));
          expect(contentHash('SPEND', memo, lines)).toBe(before('SPEND', memo, lines));
        },
      ),
    );
  });
});
