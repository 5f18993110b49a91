import fc from 'fast-check';
import * as server from '../../src/ledger/ledger-seal';
import { checkinLink, readCheckinLink } from '../../web/src/lib/checkin-link';
import { auditSides, groupHex, proofProblem, readCanonicalEntry, SealProof } from '../../web/src/lib/seal-proof';
import { pickupWindow } from '../../web/src/lib/shop';
import { addMonths, fromLocalInput, monthOf, toLocalInput } from '../../web/src/lib/time';

/** The app's own logic that has no screen: the proof check, the QR link, Asia/Shanghai times. */
describe("the passbook's proof check (WebCrypto), held to the server's (src/ledger/ledger-seal.ts)", () => {
  const uuid = fc.uuid().map((u) => u.toLowerCase());
  const entry = fc.record({
    townshipId: uuid,
    id: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String),
    kind: fc.constantFrom('MINT', 'SPEND', 'REVERSAL', 'ADJUSTMENT'),
    memo: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
    referenceType: fc.constantFrom(null, 'ACTIVITY', 'COURSE'),
    referenceId: fc.option(uuid, { nil: null }),
    bookedAt: fc.constant('2026-10-03T04:05:06.123456Z'),
    reversesEntryId: fc.constant(null),
    postings: fc.integer({ min: 1, max: 50 }).chain((n) => fc.tuple(uuid, uuid).map(([a, b]) => [{ accountId: a, amount: n }, { accountId: b, amount: -n }])),
  });
  /** A sealed month of `entries` and the proof of entry `index`, made by the server's code. */
  const sealed = (entries: server.SealedEntry[], index: number, previous: Buffer): server.SealProof => {
    const { tree, root } = server.merkleTree(Buffer.concat(entries.map((e) => server.leafHash(server.canonicalEntry(e)))));
    return {
      canonicalEntry: server.canonicalEntry(entries[index]),
      leafIndex: index,
      leafCount: entries.length,
      path: server.auditPath(entries.length, index).map(({ offset, side }) => ({ side, hash: tree.subarray(offset, offset + server.HASH_BYTES).toString('hex') })),
      merkleRoot: root.toString('hex'),
      previousSeal: previous.toString('hex'),
      seal: server.chainSeal(previous, root).toString('hex'),
    };
  };
  const month = fc
    .uniqueArray(entry, { minLength: 1, maxLength: 40, selector: (e) => e.id })
    .chain((entries) => fc.record({ entries: fc.constant(entries), index: fc.nat(entries.length - 1), previous: fc.uint8Array({ minLength: 32, maxLength: 32 }) }));
  /** The proof as the API sends it (JSON: the side is its enum's name). */
  const asSent = (p: server.SealProof): SealProof => ({ ...p, path: p.path.map((s) => ({ side: s.side === server.ProofSide.LEFT ? 'LEFT' : 'RIGHT', hash: s.hash })) });
  const flipHex = (h: string, at: number) => h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1);
  /** Ways to change a proof: each must make both checks fail, with the same reason. */
  type Tamper = typeof tamper extends fc.Arbitrary<infer T> ? T : never;
  const tamper = fc.oneof(
    fc.record({ kind: fc.constant('memo' as const) }),
    fc.record({ kind: fc.constant('path-hash' as const), step: fc.nat(), at: fc.nat(63) }),
    fc.record({ kind: fc.constant('side' as const), step: fc.nat() }),
    fc.record({ kind: fc.constant('root' as const), at: fc.nat(63) }),
    fc.record({ kind: fc.constant('previous' as const), at: fc.nat(63) }),
    fc.record({ kind: fc.constant('seal' as const), at: fc.nat(63) }),
    fc.record({ kind: fc.constant('index' as const), by: fc.integer({ min: 1, max: 3 }) }),
  );
  const tampered = (p: server.SealProof, t: Tamper): server.SealProof | null => {
    const copy: server.SealProof = { ...p, path: p.path.map((s) => ({ ...s })) };
    switch (t.kind) {
      case 'memo':
        copy.canonicalEntry = p.canonicalEntry.replace(/"(MINT|SPEND|REVERSAL|ADJUSTMENT)","/, '"$1","改');
        return copy;
      case 'path-hash':
      case 'side': {
        if (!p.path.length) return null;
        const step = copy.path[t.step % p.path.length];
        if (t.kind === 'side') step.side = step.side === server.ProofSide.LEFT ? server.ProofSide.RIGHT : server.ProofSide.LEFT;
        else step.hash = flipHex(step.hash, t.at);
        return copy;
      }
      case 'root':
        return { ...copy, merkleRoot: flipHex(p.merkleRoot, t.at) };
      case 'previous':
        return { ...copy, previousSeal: flipHex(p.previousSeal, t.at) };
      case 'seal':
        return { ...copy, seal: flipHex(p.seal, t.at) };
      default: {
        const leafIndex = (p.leafIndex + t.by) % p.leafCount;
        return leafIndex === p.leafIndex ? null : { ...copy, leafIndex };
      }
    }
  };

  it('accepts every proof the server makes, for any month and memo, and names the seal, the entry and the amount it covers', async () => {
    await fc.assert(
      fc.asyncProperty(month, async ({ entries, index, previous }) => {
        const made = sealed(entries as server.SealedEntry[], index, Buffer.from(previous));
        expect(server.proofProblem(made)).toBeNull();
        const proof = asSent(made);
        const e = entries[index];
        expect(await proofProblem(proof, { seal: proof.seal, entryId: e.id, amount: e.postings[0].amount })).toBeNull();
        expect(readCanonicalEntry(proof.canonicalEntry)).toEqual({ entryId: e.id, kind: e.kind, memo: e.memo, bookedAt: e.bookedAt, amounts: expect.arrayContaining(e.postings.map((x) => x.amount)) });
        // The same proof is not one for another seal, another entry or another amount.
        expect(await proofProblem(proof, { seal: flipHex(proof.seal, 0) })).toBe('封存值与公布的封存值不符');
        expect(await proofProblem(proof, { entryId: `${e.id}0` })).toBe('证明中的记账与存折上的这一笔不符');
        expect(await proofProblem(proof, { amount: 51 })).toBe('证明中的记账与存折上的这一笔不符');
      }),
      { numRuns: 60 },
    );
  });

  it('refuses every changed proof for the same reason the server gives', async () => {
    await fc.assert(
      fc.asyncProperty(month, tamper, async ({ entries, index, previous }, t) => {
        const changed = tampered(sealed(entries as server.SealedEntry[], index, Buffer.from(previous)), t);
        fc.pre(changed !== null);
        const reason = server.proofProblem(changed!);
        expect(reason).not.toBeNull();
        expect(await proofProblem(asSent(changed!))).toBe(reason);
      }),
      { numRuns: 200 },
    );
  });

  it('lays out the path as the server does for every position in months of up to 70 entries', () => {
    for (let n = 1; n <= 70; n++) for (let i = 0; i < n; i++) expect(auditSides(n, i)).toEqual(server.auditPath(n, i).map((s) => s.side));
  });

  it('shows a seal in groups of four, as the printed statement does', () => {
    expect(groupHex('3f2a9c01' + '0'.repeat(56))).toBe(`3f2a 9c01 ${'0000 '.repeat(13)}0000`);
  });
});

describe('the check-in QR link', () => {
  it('round-trips the activity and the current code, and ignores anything that is not 6 digits', () => {
    const id = '4b1f0b6e-0000-4000-8000-000000000000';
    const url = new URL(checkinLink('https://bank.example', id, '042917'));
    expect(url.pathname).toBe('/r/checkin');
    expect(readCheckinLink(Object.fromEntries(url.searchParams))).toEqual({ activityId: id, code: '042917' });
    for (const code of ['12345', '1234567', 'abcdef', '', ' 123456']) expect(readCheckinLink({ activity: id, code }).code).toBeUndefined();
    expect(readCheckinLink({ activity: [id], code: ['123456'] })).toEqual({ activityId: id, code: '123456' });
  });
});

describe('times as residents read them (Asia/Shanghai, whatever the device zone)', () => {
  it('reads month boundaries in Shanghai', () => {
    expect(monthOf('2026-11-30T16:30:00Z')).toBe('2026-12'); // 00:30 on 1 December in Shanghai
    expect(monthOf('2026-11-30T15:59:00Z')).toBe('2026-11');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-12', 1)).toBe('2027-01');
  });

  it('turns a datetime-local value into the instant in Shanghai and back', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        const minute = new Date(Math.floor(d.getTime() / 60_000) * 60_000);
        expect(fromLocalInput(toLocalInput(minute))).toBe(minute.toISOString());
      }),
    );
    expect(fromLocalInput('2026-12-01T09:00')).toBe('2026-12-01T01:00:00.000Z');
    expect(fromLocalInput('')).toBe('');
  });
});

describe('the shop’s next pickup window as residents read it', () => {
  it('is told in Asia/Shanghai whatever the phone’s zone, with 全天 for a day without hours', () => {
    expect(pickupWindow('2026-12-05T01:00:00.000Z', '2026-12-05T03:30:00.000Z')).toBe('12月5日（周六）09:00–11:30');
    // 23:00 UTC on the 5th is already Sunday the 6th in Shanghai.
    expect(pickupWindow('2026-12-05T16:00:00.000Z', '2026-12-06T16:00:00.000Z')).toBe('12月6日（周日）全天');
  });
});
