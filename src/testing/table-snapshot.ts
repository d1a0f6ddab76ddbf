import { isDeepStrictEqual } from 'node:util';
import type { DataSource, EntityMetadata } from 'typeorm';

/** The inbox's own tables: never part of a handler's observed state, never reset by the kit. */
const INBOX_TABLES = new Set([
  'webhook_events',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'webhook_rejections',
  'admin_audit_log',
  'event_type_subscription_versions',
]);

/** Rows per table, without the columns the database fills in (generated ids, created/updated dates, versions). */
export type TableSnapshot = Record<string, Record<string, unknown>[]>;

function observedEntities(dataSource: DataSource): EntityMetadata[] {
  return dataSource.entityMetadatas.filter(
    (metadata) => metadata.tableType === 'regular' && !INBOX_TABLES.has(metadata.tableName),
  );
}

const quoted = (metadata: EntityMetadata) =>
  metadata.schema ? `"${metadata.schema}"."${metadata.tableName}"` : `"${metadata.tableName}"`;

/**
 * Every row of the application's entity tables. The columns the database generates differ between
 * two runs that build the same state, so they are left out, and rows are sorted by what remains.
 */
export async function snapshotTables(dataSource: DataSource): Promise<TableSnapshot> {
  const snapshot: TableSnapshot = {};
  for (const metadata of observedEntities(dataSource)) {
    const kept = metadata.columns
      .filter((column) => !(column.isGenerated || column.isCreateDate || column.isUpdateDate || column.isVersion))
      .map((column) => column.databaseName);
    const rows = await dataSource.query<Record<string, unknown>[]>(`SELECT * FROM ${quoted(metadata)}`);
    snapshot[metadata.tableName] = rows
      .map((row) => Object.fromEntries(kept.map((name) => [name, normalise(row[name])])))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return snapshot;
}

/** Empties the application's entity tables (the test's own database). */
export async function resetTables(dataSource: DataSource): Promise<void> {
  const tables = observedEntities(dataSource).map(quoted);
  if (tables.length > 0) await dataSource.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
}

function normalise(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/** What differs between two observations, in a few lines; undefined when they are equal. */
export function describeDifference(before: unknown, after: unknown, labels: [string, string]): string | undefined {
  if (isDeepStrictEqual(before, after)) return undefined;
  if (isTableSnapshot(before) && isTableSnapshot(after)) {
    const lines: string[] = [];
    for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const a = before[table] ?? [];
      const b = after[table] ?? [];
      if (isDeepStrictEqual(a, b)) continue;
      const onlyA = a.filter((row) => !b.some((other) => isDeepStrictEqual(row, other)));
      const onlyB = b.filter((row) => !a.some((other) => isDeepStrictEqual(row, other)));
      lines.push(`table ${table}: ${a.length} row(s) ${labels[0]}, ${b.length} ${labels[1]}`);
      for (const row of onlyA.slice(0, 3)) lines.push(`  only ${labels[0]}: ${JSON.stringify(row)}`);
      for (const row of onlyB.slice(0, 3)) lines.push(`  only ${labels[1]}: ${JSON.stringify(row)}`);
    }
    return lines.join('\n');
  }
  return `${labels[0]}: ${JSON.stringify(before)}\n${labels[1]}: ${JSON.stringify(after)}`;
}

function isTableSnapshot(value: unknown): value is TableSnapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((rows) => Array.isArray(rows) && rows.every((row) => typeof row === 'object'))
  );
}
