import { createHash } from 'node:crypto';
import { Client, ClientConfig } from 'pg';
import { BoundedMap } from '../common/bounded-map';

/** Prepared statements kept per connection by default; the least recently used is deallocated past this. */
export const PREPARED_PER_CONNECTION = 256;

/**
 * Names already computed, by text: the same few hundred texts come back on every request.
 * Bounded, so texts that vary (an IN list of varying length) cannot grow it without end.
 */
const names = new BoundedMap<string, string>(4096);

/** The server-side name of a statement: the same text gets the same name on every connection. */
export function preparedStatementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `cb_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

interface PgConnection {
  parsedStatements: Record<string, string>;
}

/**
 * A pg Client that prepares every parameterised statement once per connection (a named
 * statement in node-pg), so PostgreSQL parses and plans it once instead of on every call:
 * the pool builds these instead of plain Clients (`extra.Client`), and no call site changes.
 *
 * Only statements sent with parameters are named. They already travel on the extended
 * protocol, which carries a single statement, so a multi-statement text is never prepared;
 * parameterless texts (BEGIN, COMMIT, DDL) stay simple queries. Texts that vary (an IN
 * list of varying length) cannot grow the server's cache without bound: past
 * PREPARED_PER_CONNECTION the least recently used statement is deallocated.
 *
 * Plans survive schema changes (PostgreSQL re-plans), but a statement whose result columns
 * change fails ("cached plan must not change result type"): hence named columns, never a
 * table's `*` (README, Upgrading). The migration runner uses plain Clients.
 */
export class PreparingClient extends Client {
  /** Names prepared (or being prepared) on this connection, least recently used first. */
  private readonly prepared = new Map<string, string>();
  private readonly capacity: number;

  constructor(config: ClientConfig & { preparedPerConnection?: number } = {}) {
    super(config);
    this.capacity = config.preparedPerConnection ?? PREPARED_PER_CONNECTION;
  }

  // `any`: pg's overloads, passed through.
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = preparedStatementName(config);
      this.touch(name, config);
      return super.query({ name, text: config, values }, callback);
    }
    return super.query(config, values, callback);
  }

  private touch(name: string, text: string): void {
    if (this.prepared.delete(name)) {
      this.prepared.set(name, text);
      return;
    }
    this.prepared.set(name, text);
    while (this.prepared.size > this.capacity) this.deallocateOldest();
  }

  private deallocateOldest(): void {
    const [oldest, oldestText] = this.prepared.entries().next().value as [string, string];
    this.prepared.delete(oldest);
    const parsed = (this as unknown as { connection: PgConnection }).connection.parsedStatements;
    if (parsed[oldest] === undefined) return;
    delete parsed[oldest];
    // Queued ahead of the statement that evicted it. Prepared statements are not
    // transactional, but in an aborted transaction DEALLOCATE fails: the server still holds
    // the statement, so pg must not parse it again under that name, and it stays counted.
    super.query(`DEALLOCATE "${oldest}"`, (error: Error | null) => {
      if (!error) return;
      parsed[oldest] = oldestText;
      this.prepared.set(oldest, oldestText);
    });
  }
}
