// A request log as edge functions write it with postgres.js: every request is logged by a
// short-lived client (one connection, one INSERT, gone); a dashboard reads requests per minute by
// colo, p95 latency over the last hour and the latest errors.
// `sql` is a postgres.js instance: prepare: false through a transaction-mode pooler (unnamed
// statements), prepare: true (the default: named statements) on a direct connection.

export const schema = `
  CREATE TABLE requests (
    time       timestamptz NOT NULL DEFAULT now(),
    colo       text NOT NULL,
    path       text NOT NULL,
    status     integer NOT NULL,
    latency_ms double precision NOT NULL
  );
  SELECT create_hypertable('requests', by_range('time', INTERVAL '10 minutes'));
  CREATE INDEX requests_errors ON requests (time DESC) WHERE status >= 500;
`;

export async function logRequest(sql, ev) {
  await sql`
    INSERT INTO requests (time, colo, path, status, latency_ms)
    VALUES (${ev.time}, ${ev.colo}, ${ev.path}, ${ev.status}, ${ev.latency_ms})`;
}

export async function requestsPerMinute(sql, since) {
  return sql`
    SELECT time_bucket('1 minute', time) AS minute, colo, count(*)::int AS requests
      FROM requests
     WHERE time >= ${since}
     GROUP BY minute, colo
     ORDER BY minute, colo`;
}

export async function p95LastHour(sql) {
  const [row] = await sql`
    SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95, count(*)::int AS requests
      FROM requests
     WHERE time > now() - INTERVAL '1 hour'`;
  return row;
}

export async function latestErrors(sql, limit) {
  return sql`
    SELECT time, colo, path, status
      FROM requests
     WHERE status >= 500 AND time > now() - INTERVAL '1 hour'
     ORDER BY time DESC
     LIMIT ${limit}`;
}
