// The request log (apps/requestlog.js) with postgres.js: many concurrent short-lived clients log
// requests through PgBouncer (prepare: false, unnamed statements); the dashboard queries run
// through the pooler and on direct connections with postgres.js's named prepared statements,
// auto and forced to generic plans; answers are checked against the generated events.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { direct, pooled, freshDatabase, bouncerStats, explainExecute, chunksExcludedAtStartup } from './lib/env.js';
import * as app from './apps/requestlog.js';

const DB = 'clients_requestlog';
const COLOS = ['AMS', 'FRA', 'IAD', 'NRT', 'SJC'];
const PATHS = ['/', '/api/items', '/api/cart', '/login', '/static/app.js'];
const EVENTS = 400;
const CONCURRENT_CLIENTS = 25;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const MIN = 60000;

// Events over the last 100 minutes at distinct milliseconds, none within two minutes of the
// one-hour boundary (the queries' now() is a little later than NOW).
const events = [];
for (let i = 0; i < EVENTS; i++) {
  // (i * 263) % EVENTS is a permutation: times spread evenly, in no particular order.
  let age = 1000 + Math.floor(((i * 263) % EVENTS) * (99 * MIN) / EVENTS) + (i % 997);
  if (age > 58 * MIN && age < 62 * MIN) age += 4 * MIN;
  const h = (i * 2654435761) >>> 0;
  events.push({
    time: new Date(NOW - age),
    colo: COLOS[h % COLOS.length],
    path: PATHS[(h >>> 8) % PATHS.length],
    status: i % 23 === 0 ? 503 : i % 17 === 0 ? 500 : i % 5 === 0 ? 404 : 200,
    latency_ms: 2 + ((h >>> 4) % 5000) / 10 + (i % 50 === 0 ? 900 : 0),
  });
}
const since = new Date(NOW - 30 * MIN);

function expectedPerMinute() {
  const m = new Map();
  for (const e of events) {
    if (e.time < since) continue;
    const key = `${Math.floor(e.time.getTime() / MIN) * MIN}|${e.colo}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m.entries()].map(([k, n]) => {
    const [minute, colo] = k.split('|');
    return { minute: Number(minute), colo, requests: n };
  }).sort((a, b) => a.minute - b.minute || (a.colo < b.colo ? -1 : a.colo > b.colo ? 1 : 0));
}

function expectedP95() {
  const xs = events.filter((e) => e.time.getTime() > NOW - 60 * MIN).map((e) => e.latency_ms).sort((a, b) => a - b);
  const pos = 0.95 * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return { p95: xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), requests: xs.length };
}

function expectedErrors(limit) {
  return events.filter((e) => e.status >= 500 && e.time.getTime() > NOW - 60 * MIN)
    .sort((a, b) => b.time - a.time).slice(0, limit);
}

async function checkDashboard(sql) {
  const perMinute = await app.requestsPerMinute(sql, since);
  const want = expectedPerMinute();
  assert.equal(perMinute.length, want.length);
  perMinute.forEach((r, i) => assert.deepEqual({ minute: r.minute.getTime(), colo: r.colo, requests: r.requests }, want[i]));

  const p95 = await app.p95LastHour(sql);
  const wantP95 = expectedP95();
  assert.equal(p95.requests, wantP95.requests);
  assert.ok(Math.abs(p95.p95 - wantP95.p95) < 1e-9, `p95 ${p95.p95} vs ${wantP95.p95}`);

  const errors = await app.latestErrors(sql, 10);
  const wantErrors = expectedErrors(10);
  assert.equal(errors.length, 10);
  errors.forEach((r, i) => {
    assert.equal(r.time.getTime(), wantErrors[i].time.getTime());
    assert.equal(r.status, wantErrors[i].status);
    assert.equal(r.path, wantErrors[i].path);
  });
}

async function preparedStatements(sql) {
  return sql`SELECT name, statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements
              WHERE statement LIKE '%requests%' AND statement NOT LIKE '%pg_prepared_statements%'`;
}

before(async () => {
  await freshDatabase(DB);
  const sql = postgres({ ...direct, database: DB, max: 1, onnotice: () => {} });
  await sql.unsafe(app.schema);
  await sql.end();
});

test('concurrent short-lived clients log requests through the pooler', async () => {
  const before = await bouncerStats(DB);
  let next = 0;
  // Each worker plays a stream of requests, each logged by its own new client (connect, one
  // INSERT, disconnect), as a function instance per request would.
  async function worker() {
    while (next < events.length) {
      const ev = events[next++];
      const sql = postgres({ ...pooled, database: DB, prepare: false, max: 1 });
      try {
        await app.logRequest(sql, ev);
      } finally {
        await sql.end();
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, worker));
  const after = await bouncerStats(DB);
  assert.ok(after.xacts - (before?.xacts ?? 0) >= EVENTS, 'the inserts went through PgBouncer');
  const sql = postgres({ ...pooled, database: DB, prepare: false });
  try {
    const [{ n, chunks }] = await sql`SELECT count(*)::int AS n, count(DISTINCT tableoid)::int AS chunks FROM requests`;
    assert.equal(n, EVENTS);
    assert.ok(chunks >= 8, `events in ${chunks} chunks`);
  } finally {
    await sql.end();
  }
});

test('dashboard through the pooler (unnamed statements)', async () => {
  const sql = postgres({ ...pooled, database: DB, prepare: false, max: 4 });
  try {
    await Promise.all([checkDashboard(sql), checkDashboard(sql), checkDashboard(sql)]);
  } finally {
    await sql.end();
  }
});

test('dashboard on a direct connection: named prepared statements reach generic plans', async (t) => {
  const sql = postgres({ ...direct, database: DB, max: 1 });
  try {
    for (let i = 0; i < 8; i++) await checkDashboard(sql);
    const stmts = await preparedStatements(sql);
    assert.equal(stmts.length, 3, JSON.stringify(stmts));
    // Whether PostgreSQL switches to the generic plan is its cost decision: the generic plan of
    // "the last hour" (now(), excluded at executor start either way) costs what the custom plans
    // did, so it switches; a parameter-bounded range or `LIMIT $1` keeps custom plans, which
    // exclude chunks at plan time (the next test forces generic plans for those).
    const p95 = stmts.find((x) => x.statement.includes('percentile_cont'));
    assert.ok(p95.generic_plans > 0, JSON.stringify(p95));
    for (const s of stmts) t.diagnostic(`${s.statement.trim().split('\n')[0]}: ${s.generic_plans} generic, ${s.custom_plans} custom plans`);
  } finally {
    await sql.end();
  }
});

test('plan_cache_mode = force_generic_plan: same answers, chunks excluded at executor start', async () => {
  const sql = postgres({ ...direct, database: DB, max: 1, connection: { plan_cache_mode: 'force_generic_plan' } });
  try {
    await checkDashboard(sql);
    await checkDashboard(sql);
    const stmts = await preparedStatements(sql);
    assert.equal(stmts.length, 3, JSON.stringify(stmts));
    for (const s of stmts) {
      assert.equal(s.custom_plans, 0, JSON.stringify(s));
      assert.ok(s.generic_plans >= 2, JSON.stringify(s));
    }
    // 100 minutes of 10-minute chunks: "the last hour" (now()) and "since 30 minutes ago" (a
    // parameter) leave chunks out when the generic plan starts.
    const cases = [
      ['percentile_cont', []],
      ['LIMIT', ['10']],
      ['time_bucket', [`'${since.toISOString()}'`]],
    ];
    // A now()-relative lower bound only grows, so its value at planning (less a minute) also
    // excludes chunks when the generic plan is made; the rest go at executor start.
    const [{ n: chunks }] = await sql`SELECT count(*)::int AS n FROM show_chunks('requests')`;
    for (const [marker, args] of cases) {
      const s = stmts.find((x) => x.statement.includes(marker));
      const plan = (await sql.unsafe(explainExecute(s.name, args))).map((r) => r['QUERY PLAN']);
      const excluded = chunksExcludedAtStartup(plan);
      const scanned = new Set(plan.map((l) => /on (_hyper_\d+_\d+_chunk)\b/.exec(l)?.[1]).filter(Boolean)).size;
      if (marker !== 'time_bucket') {  // the now()-relative ones
        assert.ok(excluded >= 1 || scanned < chunks, `${marker} plan (${chunks} chunks, ${scanned} scanned, ${excluded} excluded):\n${plan.join('\n')}`);
      } else {
        assert.ok(excluded >= 1, `${marker} plan:\n${plan.join('\n')}`);
      }
    }
  } finally {
    await sql.end();
  }
});
