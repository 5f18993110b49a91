import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisation (townships, branches, service teams, people, residents, roles) and the
 * append-only double-entry points ledger.
 *
 * The ledger rules of DESIGN.md §3 are enforced here, by the database, so that no code
 * path (a bug, a script, a hand-typed psql session) can break them:
 *   1. balanced entries        -> statement triggers `journal_entry_balanced`, `posting_balanced`
 *   2. append-only             -> `ledger_forbid_change` triggers (UPDATE/DELETE/TRUNCATE)
 *                                 and UNIQUE (reverses_entry_id): reversed at most once
 *   3. residents never negative -> CHECK account_balance_not_negative, on the one balance
 *                                 row of a resident account (`account_balance_before_insert`,
 *                                 `account_balance_fixed_columns`, `account_no_update`)
 *   4. idempotency keys        -> UNIQUE (township_id, idempotency_key)
 *   5. stored = sum(postings)  -> balances are only moved by the posting insert trigger
 *   6. closed periods          -> `journal_entry_before_insert` (period lock + check)
 */
export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE township (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,40}$'),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE branch (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id  uuid NOT NULL REFERENCES township(id),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        kind         text NOT NULL DEFAULT 'VILLAGE' CHECK (kind IN ('VILLAGE', 'COMMUNITY')),
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (township_id, name),
        UNIQUE (township_id, id)
      );

      CREATE TABLE service_team (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id  uuid NOT NULL,
        branch_id    uuid NOT NULL,
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        created_at   timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (branch_id, name)
      );

      -- A person is one human being, identified by mobile number; the same person can
      -- be a resident, a branch manager and a township admin at once.
      CREATE TABLE person (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
        mobile         text NOT NULL UNIQUE CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
        wechat_openid  text UNIQUE,
        created_at     timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE resident (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        person_id      uuid NOT NULL UNIQUE REFERENCES person(id),
        township_id    uuid NOT NULL,
        branch_id      uuid NOT NULL,
        registered_by  uuid REFERENCES person(id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (township_id, id)
      );
      CREATE INDEX resident_branch_idx ON resident (branch_id, created_at, id);

      CREATE TABLE role_assignment (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        person_id    uuid NOT NULL REFERENCES person(id),
        role         text NOT NULL CHECK (role IN ('TOWNSHIP_ADMIN', 'BRANCH_MANAGER')),
        township_id  uuid NOT NULL REFERENCES township(id),
        branch_id    uuid,
        granted_by   uuid REFERENCES person(id),
        created_at   timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        CHECK ((role = 'BRANCH_MANAGER') = (branch_id IS NOT NULL)),
        UNIQUE NULLS NOT DISTINCT (person_id, role, township_id, branch_id)
      );
      CREATE INDEX role_assignment_person_idx ON role_assignment (person_id);

      -- Who did what, for the actions township admins are accountable for.
      CREATE TABLE audit_log (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        township_id  uuid NOT NULL,
        actor_id     uuid REFERENCES person(id),
        action       text NOT NULL,
        subject      text,
        details      jsonb NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_log_township_idx ON audit_log (township_id, id);
    `);

    await q.query(`
      CREATE TABLE account (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id  uuid NOT NULL REFERENCES township(id),
        kind         text NOT NULL CHECK (kind IN (
                       'RESIDENT', 'BRANCH_ISSUANCE', 'BRANCH_REDEMPTION',
                       'TOWNSHIP_ADJUSTMENT', 'TOWNSHIP_EXPIRY')),
        resident_id  uuid UNIQUE,
        branch_id    uuid,
        created_at   timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        CHECK ((kind = 'RESIDENT') = (resident_id IS NOT NULL)),
        CHECK ((kind IN ('BRANCH_ISSUANCE', 'BRANCH_REDEMPTION')) = (branch_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX account_branch_kind_key ON account (branch_id, kind) WHERE branch_id IS NOT NULL;
      CREATE UNIQUE INDEX account_township_kind_key ON account (township_id, kind) WHERE kind LIKE 'TOWNSHIP_%';

      -- The stored balance of an account is the sum of its shards. A resident account
      -- has one shard, so the CHECK below bounds the account itself. Unbounded accounts
      -- (a branch's issuance and redemption, the township's) have many shards and each
      -- posting takes whichever shard no other transaction holds: every mint of a branch
      -- touches its issuance account, and one row lock would serialise the branch.
      CREATE TABLE account_balance (
        account_id       uuid NOT NULL REFERENCES account(id),
        shard            smallint NOT NULL,
        township_id      uuid NOT NULL,
        may_go_negative  boolean NOT NULL,
        balance          bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, shard),
        CONSTRAINT account_balance_not_negative CHECK (may_go_negative OR balance >= 0)
      );

      CREATE FUNCTION account_create_balance_shards() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO account_balance (account_id, shard, township_id, may_go_negative)
        SELECT NEW.id, s, NEW.township_id, NEW.kind <> 'RESIDENT'
        FROM generate_series(0, CASE WHEN NEW.kind = 'RESIDENT' THEN 0 ELSE 31 END) AS s;
        RETURN NULL;
      END $$;
      CREATE TRIGGER account_after_insert AFTER INSERT ON account
        FOR EACH ROW EXECUTE FUNCTION account_create_balance_shards();

      -- A closed month. A row here is permanent: a closed period never reopens.
      CREATE TABLE ledger_period (
        township_id  uuid NOT NULL REFERENCES township(id),
        period       date NOT NULL CHECK (extract(day FROM period) = 1),
        closed_at    timestamptz NOT NULL DEFAULT now(),
        closed_by    uuid REFERENCES person(id),
        PRIMARY KEY (township_id, period)
      );

      CREATE TABLE journal_entry (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        township_id        uuid NOT NULL,
        idempotency_key    text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        content_hash       text NOT NULL,
        kind               text NOT NULL CHECK (kind IN ('MINT', 'SPEND', 'ADJUSTMENT', 'REVERSAL')),
        memo               text NOT NULL CHECK (length(memo) BETWEEN 1 AND 500),
        reference_type     text,
        reference_id       text,
        reverses_entry_id  bigint UNIQUE REFERENCES journal_entry(id),
        created_by         uuid REFERENCES person(id),
        booked_at          timestamptz NOT NULL,
        period             date NOT NULL,
        CONSTRAINT journal_entry_idempotency_key UNIQUE (township_id, idempotency_key),
        CHECK ((kind = 'REVERSAL') = (reverses_entry_id IS NOT NULL)),
        CHECK ((reference_type IS NULL) = (reference_id IS NULL))
      );

      CREATE TABLE posting (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_id       bigint NOT NULL REFERENCES journal_entry(id),
        township_id    uuid NOT NULL,
        account_id     uuid NOT NULL,
        amount         bigint NOT NULL CHECK (amount <> 0),
        -- The account's balance after this posting; only for single-shard (resident)
        -- accounts, where it is well defined.
        balance_after  bigint,
        booked_at      timestamptz NOT NULL,
        period         date NOT NULL
      );
      CREATE INDEX posting_entry_idx ON posting (entry_id);
      CREATE INDEX posting_account_idx ON posting (account_id, id);
      CREATE INDEX posting_period_idx ON posting (township_id, period);
    `);

    // Rule 6: the booking time decides the period (an Asia/Shanghai calendar month),
    // and nothing is booked into a closed period. Closing a period takes the period's
    // advisory lock exclusively; every booking takes it shared, so closing waits for
    // in-flight bookings to commit, and bookings that come after see the closed row.
    // That reasoning needs a fresh snapshot per statement, hence READ COMMITTED only.
    await q.query(`
      CREATE FUNCTION ledger_period_lock_key(township uuid, period date) RETURNS bigint
        LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('ledger_period:' || township || ':' || period, 0) $$;

      CREATE FUNCTION ledger_period_of(t timestamptz) RETURNS date
        LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', t AT TIME ZONE 'Asia/Shanghai')::date $$;

      CREATE FUNCTION journal_entry_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
          RAISE EXCEPTION 'ledger writes must run at READ COMMITTED isolation' USING ERRCODE = 'CB005';
        END IF;
        NEW.booked_at := coalesce(NEW.booked_at, clock_timestamp());
        IF NEW.booked_at > clock_timestamp() + interval '1 minute' THEN
          RAISE EXCEPTION 'an entry cannot be booked in the future' USING ERRCODE = 'CB006';
        END IF;
        NEW.period := ledger_period_of(NEW.booked_at);
        PERFORM pg_advisory_xact_lock_shared(ledger_period_lock_key(NEW.township_id, NEW.period));
        IF EXISTS (SELECT 1 FROM ledger_period WHERE township_id = NEW.township_id AND period = NEW.period) THEN
          RAISE EXCEPTION 'period % is closed', to_char(NEW.period, 'YYYY-MM') USING ERRCODE = 'CB001';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry
        FOR EACH ROW EXECUTE FUNCTION journal_entry_before_insert();

      CREATE FUNCTION ledger_period_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(ledger_period_lock_key(NEW.township_id, NEW.period));
        RETURN NEW;
      END $$;
      CREATE TRIGGER ledger_period_before_insert BEFORE INSERT ON ledger_period
        FOR EACH ROW EXECUTE FUNCTION ledger_period_before_insert();
    `);

    // Rules 3 and 5: a posting moves its account's stored balance in the same statement,
    // so balances and postings cannot diverge. Postings of one entry are inserted in
    // account order, which gives every transaction the same lock order (no deadlocks).
    await q.query(`
      -- SECURITY DEFINER: balances move only here, as the tables' owner, so the role the
      -- service connects as needs no UPDATE on account_balance at all (see README,
      -- "Database roles"). Tables are schema-qualified so a caller's temporary table of
      -- the same name cannot stand in for them (cheaper per row than SET search_path).
      CREATE FUNCTION posting_before_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE
        new_balance bigint;
        sharded boolean;
      BEGIN
        -- Take a shard no other transaction holds; with one shard (residents) or all
        -- shards busy, queue on the shard this connection would normally use.
        UPDATE public.account_balance b SET balance = b.balance + NEW.amount
        WHERE (b.account_id, b.shard) = (
          SELECT f.account_id, f.shard FROM public.account_balance f
          WHERE f.account_id = NEW.account_id AND f.township_id = NEW.township_id
          ORDER BY f.shard FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING b.balance, b.may_go_negative INTO new_balance, sharded;
        IF NOT FOUND THEN
          UPDATE public.account_balance b SET balance = b.balance + NEW.amount
          WHERE b.account_id = NEW.account_id AND b.township_id = NEW.township_id
            AND b.shard = pg_backend_pid() % (SELECT count(*) FROM public.account_balance c WHERE c.account_id = NEW.account_id)
          RETURNING b.balance, b.may_go_negative INTO new_balance, sharded;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'account % does not exist in township %', NEW.account_id, NEW.township_id
              USING ERRCODE = 'CB004';
          END IF;
        END IF;
        NEW.balance_after := CASE WHEN sharded THEN NULL ELSE new_balance END;
        RETURN NEW;
      END $$;
      CREATE TRIGGER posting_before_insert BEFORE INSERT ON posting
        FOR EACH ROW EXECUTE FUNCTION posting_before_insert();
    `);

    // Rule 1: an entry has at least two postings, they sum to zero and carry the entry's
    // township, time and period. Checked once per statement over the rows it inserted,
    // so an entry and its postings must arrive in one statement (LedgerService inserts
    // both with one INSERT ... WITH); postings added to an existing entry break its sum.
    await q.query(`
      CREATE FUNCTION ledger_assert_entries_balanced(entries bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        bad record;
      BEGIN
        SELECT e.id, count(p.id) AS lines, coalesce(sum(p.amount), 0) AS total INTO bad
        FROM journal_entry e LEFT JOIN posting p ON p.entry_id = e.id
        WHERE e.id = ANY(entries)
        GROUP BY e.id
        HAVING count(p.id) < 2 OR coalesce(sum(p.amount), 0) <> 0
            -- same xmin: written by the same (sub)transaction as the entry, not appended later
            OR NOT bool_and(p.township_id = e.township_id AND p.period = e.period AND p.booked_at = e.booked_at
                            AND p.xmin = e.xmin)
        LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal entry % is unbalanced (% postings, sum %)', bad.id, bad.lines, bad.total
            USING ERRCODE = 'CB002';
        END IF;
      END $$;

      CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM ledger_assert_entries_balanced(ARRAY(SELECT id FROM new_entries));
        RETURN NULL;
      END $$;
      CREATE TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
        REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_entry_balanced();

      CREATE FUNCTION posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM ledger_assert_entries_balanced(ARRAY(SELECT DISTINCT entry_id FROM new_postings));
        RETURN NULL;
      END $$;
      CREATE TRIGGER posting_balanced AFTER INSERT ON posting
        REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION posting_balanced();
    `);

    // Rule 2: the journal, its postings and closed periods are append-only.
    await q.query(`
      CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % is not allowed; post a reversal instead', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'CB003';
      END $$;
      CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER posting_append_only BEFORE UPDATE OR DELETE ON posting
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER posting_no_truncate BEFORE TRUNCATE ON posting
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER ledger_period_append_only BEFORE UPDATE OR DELETE ON ledger_period
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER ledger_period_no_truncate BEFORE TRUNCATE ON ledger_period
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      -- Accounts and their balance rows are never removed (postings point at them).
      CREATE TRIGGER account_no_delete BEFORE DELETE ON account
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON account
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER account_balance_no_delete BEFORE DELETE ON account_balance
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER account_balance_no_truncate BEFORE TRUNCATE ON account_balance
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
    `);

    // Rule 3 rests on a resident account having exactly one balance row, bounded at zero:
    // an account never changes, its balance rows are the ones made with it, and of a
    // balance row only `balance` moves. Without this, one UPDATE of may_go_negative (or an
    // extra unbounded shard, or an account turned into a resident's) would let a resident
    // go negative. `UPDATE OF` keeps the check off the posting path, which sets `balance` only.
    await q.query(`
      CREATE TRIGGER account_no_update BEFORE UPDATE ON account
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER account_balance_fixed_columns
        BEFORE UPDATE OF account_id, shard, township_id, may_go_negative ON account_balance
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

      CREATE FUNCTION account_balance_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM account a
          WHERE a.id = NEW.account_id AND a.township_id = NEW.township_id
            AND NEW.may_go_negative = (a.kind <> 'RESIDENT')
            AND NEW.shard BETWEEN 0 AND CASE WHEN a.kind = 'RESIDENT' THEN 0 ELSE 31 END
        ) THEN
          RAISE EXCEPTION 'account_balance rows are made with their account only' USING ERRCODE = 'CB003';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER account_balance_before_insert BEFORE INSERT ON account_balance
        FOR EACH ROW EXECUTE FUNCTION account_balance_before_insert();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE posting, journal_entry, ledger_period, account_balance, account,
        audit_log, role_assignment, resident, person, service_team, branch, township CASCADE;
      DROP FUNCTION ledger_forbid_change, posting_balanced, journal_entry_balanced,
        ledger_assert_entries_balanced, posting_before_insert, ledger_period_before_insert,
        journal_entry_before_insert, ledger_period_of, ledger_period_lock_key,
        account_create_balance_shards, account_balance_before_insert;
    `);
  }
}
