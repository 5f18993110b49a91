import { nextMobile } from '../support/factories';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

/** `fragment F1 on T { ...F0 ...F0 }` … up to F<n-1>, each spreading the previous `fanOut` times. */
function fragmentFanOut(n: number, fanOut: number, type: string, leaf: string): string {
  const fragments = [`fragment F0 on ${type} { ${leaf} }`];
  for (let i = 1; i < n; i++) fragments.push(`fragment F${i} on ${type} { ${`...F${i - 1} `.repeat(fanOut)}}`);
  return fragments.join('\n');
}

/** The documents of issue 9 and generated variants of each: none may run, all must be refused fast. */
function attackDocuments(): { name: string; query: string }[] {
  const docs: { name: string; query: string }[] = [];
  // The fan-out: ~1 KB, 2^27 fields when expanded.
  docs.push({ name: 'fan-out F0..F27 on Me', query: `query { me { ...F27 } }\n${fragmentFanOut(28, 2, 'Me', 'balance')}` });
  for (const [n, fanOut] of [[20, 2], [24, 2], [40, 2], [16, 3], [12, 5], [60, 2]]) {
    docs.push({ name: `fan-out ${n}x${fanOut} on Me`, query: `query { me { ...F${n - 1} } }\n${fragmentFanOut(n, fanOut, 'Me', 'balance name')}` });
    docs.push({ name: `fan-out ${n}x${fanOut} on Query`, query: `query { ...F${n - 1} }\n${fragmentFanOut(n, fanOut, 'Query', 'me { balance }')}` });
  }
  // The fan-out wrapped in inline fragments, and inside a list (each item pays for it).
  docs.push({ name: 'fan-out in inline fragments', query: `query { ... on Query { me { ... on Me { ...F27 } } } }\n${fragmentFanOut(28, 2, 'Me', 'balance')}` });
  docs.push({
    name: 'fan-out inside a connection',
    query: `query { me { history(first: 100) { edges { node { ...F9 } } } } }\n${fragmentFanOut(10, 2, 'LedgerLine', 'amount')}`,
  });
  // Padding: a costly list query followed by thousands of repeated fields (graphql-query-complexity gave up on these and let them run).
  for (const pad of [3000, 6000, 11_000]) {
    docs.push({
      name: `padding x${pad}`,
      query: `query { me { history(first: 100) { edges { node { id amount memo bookedAt } } } ${'balance '.repeat(pad)} } }`,
    });
  }
  // Aliases: 2,400 `me { balance }` each ran its own queries; variants around the limits.
  for (const count of [16, 60, 400, 2400]) {
    docs.push({ name: `${count} aliases`, query: `query { ${Array.from({ length: count }, (_, i) => `a${i}: me { balance }`).join(' ')} }` });
  }
  // Root fields without aliases, many directives, and deep nesting by variables on page size.
  docs.push({ name: '200 root fields', query: `query { ${'me { balance } '.repeat(200)} }` });
  docs.push({ name: 'directives', query: `query { me { ${Array.from({ length: 40 }, () => 'balance @include(if: true)').join(' ')} } }` });
  docs.push({
    name: 'page sizes as variables',
    query: `query($n: Int) { ${Array.from({ length: 10 }, (_, i) => `h${i}: me { history(first: $n) { edges { node { id amount memo bookedAt period kind } } } }`).join(' ')} }`,
  });
  return docs;
}

describe('query shape attacks (issue 9)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    const adminMobile = nextMobile();
    await t.app.get(OrganisationService).bootstrap({ townshipCode: `q${Date.now()}`, townshipName: '潞城镇', adminName: '张书记', adminMobile });
    token = await devLogin(t, adminMobile);
  });
  afterAll(() => t.close());

  const liveUrl = () => t.url.replace('/graphql', '/health/live');

  it.each(attackDocuments().map((d) => [d.name, d.query] as const))('refuses %s with QUERY_TOO_COMPLEX, signed in or not', async (_, query) => {
    for (const auth of [undefined, token]) {
      const res = await t.gql(query, {}, auth);
      expect(errorCode(res)).toBe('QUERY_TOO_COMPLEX');
      expect(res.data ?? null).toBeNull();
      expect(res.errors![0].message).toMatch(/查询/);
    }
  });

  it('keeps /health/live answering while the attacks are sent concurrently', async () => {
    const docs = attackDocuments();
    let stop = false;
    // Each probe must answer within 2 s (the event loop was blocked for 26 s by one fan-out before).
    const probes = (async () => {
      let answered = 0;
      while (!stop) {
        const res = await fetch(liveUrl(), { signal: AbortSignal.timeout(2000) });
        expect(res.status).toBe(200);
        answered++;
        await new Promise((r) => setTimeout(r, 20));
      }
      return answered;
    })();
    const rounds = 3;
    const results: GqlResponse[] = [];
    for (let round = 0; round < rounds; round++) {
      results.push(...(await Promise.all(docs.map((d) => t.gql(d.query, {}, round % 2 ? token : undefined)))));
    }
    stop = true;
    expect(await probes).toBeGreaterThan(0);
    expect(results.map(errorCode)).toEqual(Array(docs.length * rounds).fill('QUERY_TOO_COMPLEX'));
  });

  it('still answers ordinary queries, fragments and aliases within the limits', async () => {
    const ok = await t.gql(
      `query { a: me { ...Who } b: me { balance } } fragment Who on Me { name roles { role } }`,
      {},
      token,
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data.a.name).toBe('张书记');
    const fanOut = await t.gql(`query { me { ...F9 } }\n${fragmentFanOut(10, 2, 'Me', 'balance')}`, {}, token);
    expect(fanOut.errors).toBeUndefined(); // 2^9 = 512 fields of cost 1: under the cost limit
  });
});
