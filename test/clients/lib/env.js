// Connection settings for the client tests: the throwaway cluster started by scripts/test.sh
// (PGHOST = its socket directory, PGPORT) and the PgBouncer in front of it (BOUNCER_HOST,
// BOUNCER_PORT), both started by test/clients/run.sh.
import pg from 'pg';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the client tests through test/clients/run.sh`);
  return v;
}

export const direct = { host: required('PGHOST'), port: Number(required('PGPORT')), user: 'postgres' };
export const pooled = { host: required('BOUNCER_HOST'), port: Number(required('BOUNCER_PORT')), user: 'postgres' };

// Creates (or re-creates) a database with strata installed, for one test file.
export async function freshDatabase(name, extensions = ['strata']) {
  const admin = new pg.Client({ ...direct, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const c = new pg.Client({ ...direct, database: name });
  await c.connect();
  try {
    for (const e of extensions) await c.query(`CREATE EXTENSION ${e}`);
  } finally {
    await c.end();
  }
}

// The pooler's own counters for one database (PgBouncer admin console, simple protocol).
export async function bouncerStats(database) {
  const c = new pg.Client({ ...pooled, database: 'pgbouncer' });
  await c.connect();
  try {
    const r = await c.query('SHOW STATS');
    const row = r.rows.find((x) => x.database === database);
    return row ? { xacts: Number(row.total_xact_count), queries: Number(row.total_query_count) } : null;
  } finally {
    await c.end();
  }
}

// The plan of a named prepared statement of this session, as EXPLAIN EXECUTE prints it.
// `args` are SQL literals for its parameters.
export function explainExecute(name, args) {
  const quoted = `"${name.replace(/"/g, '""')}"`;
  return `EXPLAIN (COSTS OFF) EXECUTE ${quoted}${args.length ? `(${args.join(', ')})` : ''}`;
}

// Chunks that a plan's run-time exclusion removed at executor start (summed over the plan).
export function chunksExcludedAtStartup(planLines) {
  let n = null;
  for (const line of planLines) {
    const m = /Chunks excluded during startup: (\d+)/.exec(line);
    if (m) n = (n ?? 0) + Number(m[1]);
  }
  return n;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
