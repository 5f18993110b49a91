import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { BoundedMap } from '../common/bounded-map';
import { Principal } from './principal';
import { PrincipalLoader } from './principal.loader';

/** The channel the database notifies on commit (migration 1765200000000): a person id, or `*` for everyone. */
export const PRINCIPAL_CHANGED = 'principal_changed';
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1_000;

/**
 * Principals kept in memory between requests, dropped the moment the database says they
 * changed: every API process LISTENs on `principal_changed`, which triggers on persons,
 * residents, role assignments, townships and branches NOTIFY at commit.
 *
 * A notice travels on its own, so a request could overtake it. Before serving from the
 * cache, a request waits for a round trip on the listening connection sent after it
 * arrived (`SELECT 1`): PostgreSQL delivers the notices of every transaction committed
 * before that query ahead of its answer. So a role revoked by a request that has answered
 * is refused on the next request to any process. One round trip serves every request
 * that arrived while the previous one was out: far cheaper than loading each principal.
 *
 * Fails closed: while the listening connection is down nothing is cached or served from
 * the cache, and on reconnecting the cache starts empty (notices sent meanwhile are lost).
 * A load that a notice about its person (or a reconnection) overtook is not cached.
 */
@Injectable()
export class PrincipalCache implements OnApplicationShutdown {
  private readonly logger = new Logger(PrincipalCache.name);
  private readonly entries = new BoundedMap<string, Principal>(MAX_ENTRIES);
  /** Loads in flight, by person: a notice about the person deletes theirs. */
  private readonly loading = new Map<string, object>();
  private listener?: Client;
  private listening = false;
  private started = false;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  /** Requests waiting for the next round trip on the listener, and whether one is out. */
  private waiting: ((caughtUp: boolean) => void)[] = [];
  private syncing = false;

  constructor(
    private readonly loader: PrincipalLoader,
    private readonly dataSource: DataSource,
  ) {}

  /** Whether the cache is serving (its listener is connected and LISTENing). */
  get active(): boolean {
    return this.listening;
  }

  async load(personId: string): Promise<Principal | undefined> {
    // Started on first use, so processes that never authenticate (worker, CLI) never listen.
    if (!this.started) {
      this.started = true;
      void this.listen();
    }
    const cached = this.listening && this.entries.get(personId);
    if (cached && (await this.caughtUp()) && this.entries.get(personId) === cached) return cached;
    const load = {};
    this.loading.set(personId, load);
    try {
      const principal = await this.loader.load(personId);
      if (principal && this.listening && this.loading.get(personId) === load) {
        this.entries.set(personId, principal);
      }
      return principal;
    } finally {
      if (this.loading.get(personId) === load) this.loading.delete(personId);
    }
  }

  /** Resolves once the listener has received every notice committed before this call (false if it could not). */
  private caughtUp(): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.syncing) void this.sync();
    });
  }

  private async sync(): Promise<void> {
    this.syncing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      const listener = this.listening ? this.listener : undefined;
      const caughtUp = listener ? await listener.query('SELECT 1').then(() => this.listening && this.listener === listener, () => false) : false;
      for (const resolve of batch) resolve(caughtUp);
    }
    this.syncing = false;
  }

  onApplicationShutdown(): Promise<void> | undefined {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.listening = false;
    return this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const { url } = this.dataSource.options as PostgresConnectionOptions;
    const client = new Client({ connectionString: url, application_name: 'civilization-bank-principals', keepAlive: true });
    this.listener = client;
    client.on('notification', ({ payload }) => this.forget(payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${PRINCIPAL_CHANGED}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.listener !== client) return;
    this.forget('*');
    this.listening = true;
  }

  private forget(personId: string | undefined): void {
    if (personId && personId !== '*') {
      this.entries.delete(personId);
      this.loading.delete(personId);
    } else {
      this.entries.clear();
      this.loading.clear();
    }
  }

  private lost(client: Client, error?: unknown): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.listening = false;
    this.forget('*');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(`principal cache off until its listener reconnects: ${error ? String(error) : 'connection ended'}`);
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_MS);
  }
}
