import { describe } from 'node:test';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseCase {
  kind: DatabaseKind;
  /** A reason to skip, when this database is not available here. */
  skip?: string;
}

/** The PostgreSQL server for tests, or undefined when scripts/test.mjs found none. */
export function postgresUrl(): string | undefined {
  const url = process.env['GUESTPASS_TEST_DATABASE_URL'];
  return url && url !== 'skip' ? url : undefined;
}

export function databaseCases(): DatabaseCase[] {
  return [{ kind: 'sqlite' }, postgresUrl() ? { kind: 'postgres' } : { kind: 'postgres', skip: 'PostgreSQL not reachable (set GUESTPASS_TEST_DATABASE_URL)' }];
}

/** Declares a suite on one database, skipped when that database is not available here. */
export function describeOnDatabase(kind: DatabaseKind, title: string, suite: (database: DatabaseKind) => void): void {
  const database = databaseCases().find((candidate) => candidate.kind === kind)!;
  describe(`${title} [${kind}]`, database.skip ? { skip: database.skip } : {}, () => suite(kind));
}

/** Declares the same suite once per database: every storage case runs on SQLite and PostgreSQL. */
export function describeEachDatabase(title: string, suite: (database: DatabaseKind) => void): void {
  for (const database of databaseCases()) describeOnDatabase(database.kind, title, suite);
}
