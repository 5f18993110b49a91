import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sealed months (DESIGN.md §3, rule 8): when a month is settled, its entries are sealed
 * by a Merkle root chained to the previous month's seal, so a later change to history,
 * even by a superuser, is detectable by anyone holding a published seal. The hashing
 * and the canonical form of an entry are in src/ledger/ledger-seal.ts; here the
 * database keeps what it can check by itself:
 *   - a seal is append-only (`ledger_forbid_change`, as the journal);
 *   - it belongs to a closed period (checked on insert: a foreign key would make
 *     TRUNCATE ledger_period fail on the key before its append-only trigger);
 *   - seal = SHA-256(previous_seal ‖ merkle_root), and the root is the top of the stored tree;
 *   - the chain has no gap: a township's first seal starts from 32 zero bytes at its first
 *     closed month, every later one follows the month before and carries its seal.
 */
export class LedgerSeal1764600000000 implements MigrationInterface {
  name = 'LedgerSeal1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A month's entries in id order: sealing, verifying and proofs read them this way.
      CREATE INDEX journal_entry_period_idx ON journal_entry (township_id, period, id);

      CREATE TABLE ledger_seal (
        township_id    uuid NOT NULL,
        period         date NOT NULL,
        entry_count    integer NOT NULL CHECK (entry_count >= 0),
        -- The sealed entries, ascending; leaf i of the tree is entry_ids[i + 1].
        entry_ids      bigint[] NOT NULL,
        -- Every level of the Merkle tree, leaves first, 32 bytes a node (see ledger-seal.ts).
        -- Stored uncompressed (hashes do not compress) so a proof reads only its own nodes.
        tree           bytea NOT NULL,
        merkle_root    bytea NOT NULL,
        previous_seal  bytea NOT NULL,
        seal           bytea NOT NULL,
        sealed_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (township_id, period),
        CHECK (cardinality(entry_ids) = entry_count),
        CHECK (length(merkle_root) = 32 AND length(previous_seal) = 32 AND length(tree) % 32 = 0),
        CHECK (CASE WHEN entry_count = 0 THEN length(tree) = 0 AND merkle_root = sha256('')
                    ELSE length(tree) >= 32 * entry_count AND substring(tree FROM length(tree) - 31) = merkle_root END),
        CHECK (seal = sha256(previous_seal || merkle_root))
      );
      ALTER TABLE ledger_seal ALTER COLUMN tree SET STORAGE EXTERNAL;

      CREATE FUNCTION ledger_seal_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        latest record;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM ledger_period WHERE township_id = NEW.township_id AND period = NEW.period) THEN
          RAISE EXCEPTION 'only a closed period can be sealed' USING ERRCODE = 'CB008';
        END IF;
        SELECT period, seal INTO latest FROM ledger_seal WHERE township_id = NEW.township_id ORDER BY period DESC LIMIT 1;
        IF FOUND THEN
          IF NEW.period <> (latest.period + interval '1 month')::date OR NEW.previous_seal <> latest.seal THEN
            RAISE EXCEPTION 'seal of % does not follow the seal of %', to_char(NEW.period, 'YYYY-MM'), to_char(latest.period, 'YYYY-MM')
              USING ERRCODE = 'CB008';
          END IF;
        ELSIF NEW.previous_seal <> decode(repeat('00', 32), 'hex')
           OR EXISTS (SELECT 1 FROM ledger_period WHERE township_id = NEW.township_id AND period < NEW.period) THEN
          RAISE EXCEPTION 'the first seal of a township starts from zero at its first closed month' USING ERRCODE = 'CB008';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ledger_seal_before_insert BEFORE INSERT ON ledger_seal
        FOR EACH ROW EXECUTE FUNCTION ledger_seal_before_insert();
      CREATE TRIGGER ledger_seal_append_only BEFORE UPDATE OR DELETE ON ledger_seal
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER ledger_seal_no_truncate BEFORE TRUNCATE ON ledger_seal
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();

      -- Why a settlement failed, as a stable code (the error text says it in Chinese).
      ALTER TABLE settlement ADD COLUMN error_code text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE settlement DROP COLUMN error_code;
      DROP TABLE ledger_seal;
      DROP FUNCTION ledger_seal_before_insert;
      DROP INDEX journal_entry_period_idx;
    `);
  }
}
