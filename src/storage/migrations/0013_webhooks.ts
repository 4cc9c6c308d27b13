import type { Kysely } from 'kysely';

/**
 * Webhooks: endpoints (secrets sealed with the master key), one message per outbox event and
 * endpoint, and every delivery attempt. Messages and attempts are purged after a retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('url', 'varchar(2048)', (col) => col.notNull())
    .addColumn('description', 'varchar(500)', (col) => col.notNull())
    .addColumn('event_types', 'text')
    .addColumn('client_ids', 'text')
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('disabled_reason', 'varchar(32)')
    .addColumn('secret_sealed', 'text', (col) => col.notNull())
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .addColumn('failing_since', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('webhook_messages')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('endpoint_id', 'varchar(36)', (col) => col.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('order_key', 'varchar(255)')
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('claimed_until', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // One message per event and endpoint, even if a fan-out were ever repeated.
  await db.schema.createIndex('webhook_messages_event').on('webhook_messages').columns(['endpoint_id', 'event_id']).unique().execute();
  // The claim: due pending messages; and the order check: older pending ones of the same key.
  await db.schema.createIndex('webhook_messages_due').on('webhook_messages').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_messages_order').on('webhook_messages').columns(['endpoint_id', 'order_key', 'status', 'event_id']).execute();
  await db.schema.createIndex('webhook_messages_finished').on('webhook_messages').columns(['finished_at']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('message_id', 'varchar(36)', (col) => col.notNull().references('webhook_messages.id').onDelete('cascade'))
    .addColumn('endpoint_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('attempted_at', 'bigint', (col) => col.notNull())
    .addColumn('outcome', 'varchar(16)', (col) => col.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('error', 'varchar(64)')
    .addColumn('latency_ms', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('webhook_attempts_message').on('webhook_attempts').columns(['message_id', 'attempted_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropTable('webhook_messages').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
}
