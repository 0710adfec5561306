// A fleet status service as a team would write it with postgres.js behind a transaction-mode
// pooler: devices report their status in batches; old chunks go to the columnstore; late reports
// (a device that was offline uploads its backlog, sometimes correcting a status it sent before)
// arrive as upserts into compressed chunks; a maintenance function refreshes the hourly rollup
// and compresses what is older than a few hours; dashboards read the rollup in real time (the
// materialized part plus the raw tail), the latest status of each device of an account, and the
// fleet's status counts.
// `sql` is a postgres.js instance: prepare: false through the pooler (unnamed statements),
// prepare: true (named statements) on a direct connection.

export const schema = `
  CREATE TABLE device_status (
    "timestamp" timestamptz NOT NULL,
    device_id   text NOT NULL,
    account_id  integer NOT NULL,
    status      text NOT NULL,
    battery_mv  integer,
    UNIQUE (device_id, account_id, "timestamp")
  );
  SELECT create_hypertable('device_status', by_range('timestamp', INTERVAL '2 hours'));
  ALTER TABLE device_status SET (timescaledb.compress,
                                 timescaledb.compress_segmentby = 'account_id',
                                 timescaledb.compress_orderby = '"timestamp", device_id');
  CREATE MATERIALIZED VIEW status_hourly
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket('1 hour', "timestamp") AS hour, account_id, status,
           count(*) AS reports, min(battery_mv) AS min_battery_mv
      FROM device_status
     GROUP BY hour, account_id, status
    WITH NO DATA;
`;

// POST /reports: one batch as a JSON array (one statement, whatever the batch size).
export async function postReports(sql, batch) {
  const r = await sql`
    INSERT INTO device_status ("timestamp", device_id, account_id, status, battery_mv)
    SELECT r."timestamp", r.device_id, r.account_id, r.status, r.battery_mv
      FROM jsonb_to_recordset(${JSON.stringify(batch)}::text::jsonb)
           AS r("timestamp" timestamptz, device_id text, account_id integer, status text, battery_mv integer)`;
  return r.count;
}

// POST /reports/backlog: a device's late reports; a report for a time the device already sent
// replaces the earlier one.
export async function upsertBacklog(sql, batch) {
  const r = await sql`
    INSERT INTO device_status ("timestamp", device_id, account_id, status, battery_mv)
    SELECT r."timestamp", r.device_id, r.account_id, r.status, r.battery_mv
      FROM jsonb_to_recordset(${JSON.stringify(batch)}::text::jsonb)
           AS r("timestamp" timestamptz, device_id text, account_id integer, status text, battery_mv integer)
    ON CONFLICT (device_id, account_id, "timestamp")
    DO UPDATE SET status = EXCLUDED.status, battery_mv = EXCLUDED.battery_mv`;
  return r.count;
}

// The maintenance function: refresh the rollup up to `until` (a procedure: its own transaction),
// then compress every chunk that ends before `compressBefore`.
export async function maintain(sql, until, compressBefore) {
  await sql`CALL refresh_continuous_aggregate('status_hourly', NULL, ${until.toISOString()}::timestamptz)`;
  const r = await sql`
    SELECT count(compress_chunk(c, true))::int AS n
      FROM show_chunks('device_status', older_than => ${compressBefore.toISOString()}::timestamptz) AS c`;
  return r[0].n;
}

// GET /accounts/:id/hourly?since=...: the rollup in real time.
export async function accountHourly(sql, accountId, since) {
  return sql`
    SELECT hour, status, reports::int, min_battery_mv
      FROM status_hourly
     WHERE account_id = ${accountId} AND hour >= ${since.toISOString()}::timestamptz
     ORDER BY hour, status`;
}

// GET /accounts/:id/devices: the latest report of each device of an account over the last day.
export async function latestPerDevice(sql, accountId) {
  return sql`
    SELECT DISTINCT ON (device_id) device_id, "timestamp", status, battery_mv
      FROM device_status
     WHERE account_id = ${accountId} AND "timestamp" > now() - INTERVAL '1 day'
     ORDER BY device_id, "timestamp" DESC`;
}

// GET /fleet/status?since=...: reports by status over the fleet, from the raw table.
export async function fleetStatus(sql, since) {
  return sql`
    SELECT status, count(*)::int AS reports, count(DISTINCT device_id)::int AS devices
      FROM device_status
     WHERE "timestamp" >= ${since.toISOString()}::timestamptz
     GROUP BY status
     ORDER BY status`;
}
