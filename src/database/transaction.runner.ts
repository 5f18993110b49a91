import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { domainErrorFromDatabase, RETRYABLE_SQLSTATES } from '../common/errors/pg-error';

const MAX_ATTEMPTS = 5;

const afterCommitHooks = new WeakMap<EntityManager, (() => void)[]>();

/**
 * Runs `hook` once the transaction of `manager` has committed (metrics, notifications);
 * dropped if it rolls back or is retried. Outside TransactionRunner.run it is ignored.
 */
export function afterCommit(manager: EntityManager, hook: () => void): void {
  afterCommitHooks.get(manager)?.push(hook);
}

/**
 * Runs one command in one READ COMMITTED transaction, retried on deadlock or
 * serialization failure, with database errors translated to DomainErrors.
 *
 * READ COMMITTED is required by the ledger (see the foundation migration): each
 * statement sees what committed before it, which is what period closing relies on.
 * Work that must not run twice on a retry belongs after `run` resolves (after commit).
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs a read without BEGIN/COMMIT: each statement commits on its own, so a read of
   * one statement is one round trip. Statements of one read may see different commits;
   * use `run` where they must agree (or a write depends on them).
   */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await work(this.dataSource.manager);
    } catch (error) {
      throw domainErrorFromDatabase(error) ?? error;
    }
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      // No explicit isolation level: READ COMMITTED is PostgreSQL's default, and TypeORM
      // would spend a round trip on SET TRANSACTION. The ledger triggers refuse anything else.
      const hooks: (() => void)[] = [];
      const result = await this.dataSource.transaction((manager) => {
        afterCommitHooks.set(manager, hooks);
        return work(manager);
      });
      for (const hook of hooks) {
        try {
          hook();
        } catch (error) {
          this.logger.error(`after-commit hook failed: ${String(error)}`);
        }
      }
      return result;
    });
  }

  /**
   * Runs a write that is ONE statement committing by itself (a PL/pgSQL function that does
   * the whole write, e.g. `activity_sign_ups`): one round trip, no BEGIN/COMMIT, retried and
   * translated as `run` is. `work` must send exactly one statement: a second would commit
   * separately.
   */
  async single<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.retrying(() => work(this.dataSource.manager));
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        const code = sqlState(error);
        if (code && RETRYABLE_SQLSTATES.has(code) && n < MAX_ATTEMPTS) {
          this.logger.debug(`retrying transaction after ${code} (attempt ${n})`);
          await sleep(Math.random() * 10 * 2 ** n);
          continue;
        }
        throw domainErrorFromDatabase(error) ?? error;
      }
    }
  }
}

function sqlState(error: unknown): string | undefined {
  const e = error as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
