import type pg from 'pg';

/**
 * Counts committed handler effects: a BEFORE INSERT trigger on the example tables logs the event
 * behind every row a handler writes. It fires for an upsert and for INSERT … ON CONFLICT DO
 * NOTHING too (before the conflict is seen), and is rolled back with its transaction, so the log
 * holds exactly one row per committed handler run: two rows for one event = an effect applied twice.
 */
export async function installEffectLog(db: pg.Pool | pg.Client): Promise<void> {
  await db.query(`
    CREATE TABLE effect_log (event_id uuid NOT NULL, tbl text NOT NULL, logged_at timestamptz NOT NULL DEFAULT now());
    CREATE FUNCTION log_effect() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO effect_log (event_id, tbl)
      VALUES (coalesce(to_jsonb(NEW)->>'event_id', to_jsonb(NEW)->>'created_by_event')::uuid, TG_TABLE_NAME);
      RETURN NEW;
    END $$;
    CREATE TRIGGER log_effect BEFORE INSERT ON subscriptions FOR EACH ROW EXECUTE FUNCTION log_effect();
    CREATE TRIGGER log_effect BEFORE INSERT ON subscription_refunds FOR EACH ROW EXECUTE FUNCTION log_effect();
    CREATE TRIGGER log_effect BEFORE INSERT ON subscription_chargebacks FOR EACH ROW EXECUTE FUNCTION log_effect();`);
}
