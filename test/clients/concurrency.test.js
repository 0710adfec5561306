// 50 clients through PgBouncer (transaction pooling) for a bounded time, mixing writes (small
// multi-row INSERTs into a hypertable with 2-second chunks, so chunks are created while others
// insert) and reads (latest rows, per-second counts, point lookups). No statement may fail and no
// acknowledged row may be lost (count, distinct keys and a checksum at the end); the p99 latency
// of each kind of operation is reported, not asserted. CLIENTS_SECONDS sets the duration (30, as the issue asks).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { direct, pooled, freshDatabase, bouncerStats, percentile } from './lib/env.js';

const DB = 'clients_concurrency';
const CLIENTS = 50;
const SECONDS = Number(process.env.CLIENTS_SECONDS ?? 30);
const ROWS_PER_INSERT = 5;

before(async () => {
  await freshDatabase(DB);
  const c = new pg.Client({ ...direct, database: DB });
  await c.connect();
  await c.query(`
    CREATE TABLE events (time timestamptz NOT NULL DEFAULT clock_timestamp(), client integer NOT NULL,
                         seq integer NOT NULL, value bigint NOT NULL);
    SELECT create_hypertable('events', by_range('time', INTERVAL '2 seconds'));
    CREATE INDEX events_client_seq ON events (client, seq);`);
  await c.end();
});

test(`${CLIENTS} clients through the pooler for ${SECONDS} s: no error, no lost row`, async (t) => {
  const latencies = { insert: [], latest: [], per_second: [], lookup: [] };
  const acked = { rows: 0, sum: 0n };
  const errors = [];
  const deadline = Date.now() + SECONDS * 1000;
  const before = await bouncerStats(DB);

  async function client(id) {
    const c = new pg.Client({ ...pooled, database: DB });
    await c.connect();
    let seq = 0;
    try {
      for (let op = 0; Date.now() < deadline; op++) {
        const kind = op % 4 === 3 ? ['latest', 'per_second', 'lookup'][(op >> 2) % 3] : 'insert';
        const t0 = performance.now();
        if (kind === 'insert') {
          const values = [];
          const params = [];
          for (let i = 0; i < ROWS_PER_INSERT; i++) {
            const s = seq + i;
            params.push(id, s, BigInt(id) * 1000003n + BigInt(s) * 7n);
            values.push(`($${params.length - 2}::int, $${params.length - 1}::int, $${params.length}::bigint)`);
          }
          const r = await c.query(`INSERT INTO events (client, seq, value) VALUES ${values.join(', ')}`, params);
          assert.equal(r.rowCount, ROWS_PER_INSERT);
          for (let i = 0; i < ROWS_PER_INSERT; i++) {
            acked.rows++;
            acked.sum += BigInt(id) * 1000003n + BigInt(seq + i) * 7n;
          }
          seq += ROWS_PER_INSERT;
        } else if (kind === 'latest') {
          await c.query('SELECT client, seq, time FROM events WHERE time > now() - $1::interval ORDER BY time DESC LIMIT 20', ['5 seconds']);
        } else if (kind === 'per_second') {
          await c.query("SELECT time_bucket('1 second', time) AS s, count(*) FROM events WHERE time > $1 GROUP BY 1", [new Date(Date.now() - 3000)]);
        } else {
          const r = await c.query('SELECT count(*)::int AS n FROM events WHERE client = $1 AND seq < $2', [id, seq]);
          assert.equal(r.rows[0].n, seq, 'a client reads back every row it inserted');
        }
        latencies[kind].push(performance.now() - t0);
      }
    } catch (e) {
      errors.push(`client ${id}: ${e.message}`);
    } finally {
      await c.end();
    }
  }

  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i + 1)));
  assert.deepEqual(errors, []);

  const c = new pg.Client({ ...direct, database: DB });
  await c.connect();
  try {
    const { rows: [r] } = await c.query(`
      SELECT count(*)::bigint AS n, count(DISTINCT (client, seq))::bigint AS keys, sum(value)::text AS sum,
             count(DISTINCT tableoid)::int AS chunks FROM events`);
    assert.equal(Number(r.n), acked.rows, 'rows in the table = rows acknowledged');
    assert.equal(Number(r.keys), acked.rows, 'no duplicates');
    assert.equal(r.sum, acked.sum.toString(), 'checksum');
    const after = await bouncerStats(DB);
    const ops = Object.values(latencies).reduce((a, l) => a + l.length, 0);
    assert.ok(after.xacts - (before?.xacts ?? 0) >= ops, 'every operation went through PgBouncer');
    t.diagnostic(`${ops} operations, ${acked.rows} rows in ${r.chunks} chunks, ${(ops / SECONDS).toFixed(0)} ops/s`);
    for (const [kind, l] of Object.entries(latencies)) {
      l.sort((a, b) => a - b);
      t.diagnostic(`${kind}: ${l.length} ops, p50 ${percentile(l, 0.5)?.toFixed(1)} ms, p99 ${percentile(l, 0.99)?.toFixed(1)} ms`);
    }
  } finally {
    await c.end();
  }
});
