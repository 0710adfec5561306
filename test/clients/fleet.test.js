// The fleet status service (apps/fleet.js) with postgres.js: devices report through PgBouncer
// (prepare: false), a maintenance call refreshes the hourly continuous aggregate and compresses
// old chunks, late backlogs arrive as upserts into the compressed chunks, and dashboards read the
// real-time rollup and the raw table, through the pooler and on direct connections with named
// prepared statements (auto and forced generic plans). Every answer is checked against a model of
// the rows kept in the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { direct, pooled, freshDatabase, bouncerStats } from './lib/env.js';
import * as app from './apps/fleet.js';

const DB = 'clients_fleet';
const ACCOUNTS = [11, 12, 13];
const DEVICES_PER_ACCOUNT = 8;
const STEP = 5 * 60000;
const HOURS = 12;
const HOUR = 3600000;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const STATUSES = ['charging', 'offline', 'online'];

function report(account, d, k, variant = 0) {
  const device_id = `dev-${account}-${d}`;
  const h = ((account * 31 + d) * 2654435761 + k * 40503 + variant * 7919) >>> 0;
  return {
    timestamp: new Date(NOW - k * STEP - d * 7000),
    device_id,
    account_id: account,
    status: STATUSES[h % 7 === 0 ? 1 : h % 5 === 0 ? 0 : 2],
    battery_mv: h % 9 === 0 ? null : 3300 + (h % 900),
  };
}

// Device dev-12-3 was offline from 10 h to 6 h ago: those reports arrive late as its backlog,
// together with corrections (a different status and battery) of 30 reports other devices of
// account 11 sent on time in the same hours.
const inBacklogWindow = (r) => r.timestamp.getTime() <= NOW - 6 * HOUR && r.timestamp.getTime() > NOW - 10 * HOUR;
const onTime = [];
const backlog = [];
for (const a of ACCOUNTS) {
  for (let d = 0; d < DEVICES_PER_ACCOUNT; d++) {
    for (let k = 0; k < HOURS * 12; k++) {
      const r = report(a, d, k);
      if (a === 12 && d === 3 && inBacklogWindow(r)) backlog.push(r);
      else onTime.push(r);
    }
  }
}
let corrections = 0;
for (let d = 0; d < DEVICES_PER_ACCOUNT && corrections < 30; d++) {
  for (let k = 0; k < HOURS * 12 && corrections < 30; k += 3) {
    const r = report(11, d, k, 1);
    if (!inBacklogWindow(r)) continue;
    if (r.status === report(11, d, k).status) r.status = r.status === 'online' ? 'offline' : 'online';
    backlog.push(r);
    corrections++;
  }
}

const key = (r) => `${r.device_id}|${r.timestamp.getTime()}`;
function apply(model, rows) {
  for (const r of rows) model.set(key(r), r);
  return model;
}
const before_backlog = apply(new Map(), onTime);
const after_backlog = apply(new Map(before_backlog), backlog);

function expectedHourly(model, account, since) {
  const m = new Map();
  for (const r of model.values()) {
    if (r.account_id !== account) continue;
    const hour = Math.floor(r.timestamp.getTime() / HOUR) * HOUR;
    if (hour < since.getTime()) continue;
    const k = `${hour}|${r.status}`;
    const b = m.get(k) ?? { hour, status: r.status, reports: 0, min_battery_mv: null };
    b.reports++;
    if (r.battery_mv !== null && (b.min_battery_mv === null || r.battery_mv < b.min_battery_mv)) b.min_battery_mv = r.battery_mv;
    m.set(k, b);
  }
  return [...m.values()].sort((x, y) => x.hour - y.hour || (x.status < y.status ? -1 : 1));
}

function expectedLatest(model, account) {
  const m = new Map();
  for (const r of model.values()) {
    if (r.account_id !== account) continue;
    const cur = m.get(r.device_id);
    if (!cur || r.timestamp > cur.timestamp) m.set(r.device_id, r);
  }
  return [...m.values()].sort((x, y) => (x.device_id < y.device_id ? -1 : 1));
}

function expectedFleet(model, since) {
  const m = new Map();
  for (const r of model.values()) {
    if (r.timestamp < since) continue;
    const b = m.get(r.status) ?? { status: r.status, reports: 0, devices: new Set() };
    b.reports++;
    b.devices.add(r.device_id);
    m.set(r.status, b);
  }
  return [...m.values()].sort((x, y) => (x.status < y.status ? -1 : 1))
    .map((b) => ({ status: b.status, reports: b.reports, devices: b.devices.size }));
}

// Hours below the refreshed watermark come from the materialization (as of the last refresh),
// the rest from the raw rows (as they are now): real-time aggregation.
function expectedRealtime(materialized, raw, watermark, account, since) {
  const low = expectedHourly(materialized, account, since).filter((b) => b.hour < watermark.getTime());
  const high = expectedHourly(raw, account, since).filter((b) => b.hour >= watermark.getTime());
  return [...low, ...high];
}

const since = new Date(Math.floor((NOW - HOURS * HOUR) / HOUR) * HOUR);
const refreshUntil = new Date(Math.floor((NOW - 2 * HOUR) / HOUR) * HOUR);
const compressBefore = new Date(NOW - 4 * HOUR);

async function checkDashboard(sql, materialized, raw, what) {
  for (const a of ACCOUNTS) {
    const rows = await app.accountHourly(sql, a, since);
    const want = expectedRealtime(materialized, raw, refreshUntil, a, since);
    assert.deepEqual(rows.map((r) => ({ hour: r.hour.getTime(), status: r.status, reports: r.reports, min_battery_mv: r.min_battery_mv })),
      want, `${what}: hourly rollup of account ${a}`);
    const latest = await app.latestPerDevice(sql, a);
    assert.deepEqual(latest.map((r) => ({ device_id: r.device_id, t: r.timestamp.getTime(), status: r.status, battery_mv: r.battery_mv })),
      expectedLatest(raw, a).map((r) => ({ device_id: r.device_id, t: r.timestamp.getTime(), status: r.status, battery_mv: r.battery_mv })),
      `${what}: latest status per device of account ${a}`);
  }
  const fleetSince = new Date(NOW - 11 * HOUR);
  const fleet = await app.fleetStatus(sql, fleetSince);
  assert.deepEqual(fleet.map((r) => ({ ...r })), expectedFleet(raw, fleetSince), `${what}: fleet status counts`);
}

let pooledSql;

before(async () => {
  await freshDatabase(DB);
  const sql = postgres({ ...direct, database: DB, max: 1, onnotice: () => {} });
  await sql.unsafe(app.schema);
  await sql.end();
  pooledSql = postgres({ ...pooled, database: DB, max: 12, prepare: false, onnotice: () => {} });
});

after(async () => {
  await pooledSql?.end();
});

test('devices report through the pooler; maintenance refreshes the rollup and compresses old chunks', async () => {
  const stats0 = await bouncerStats(DB);
  const batches = [];
  // Batches of one account's devices at a few successive times, sent concurrently in random order.
  const order = onTime.map((r, i) => [((i * 7919) % onTime.length), r]).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
  for (let i = 0; i < order.length; i += 40) batches.push(order.slice(i, i + 40));
  const counts = await Promise.all(batches.map((b) => app.postReports(pooledSql, b)));
  assert.equal(counts.reduce((s, n) => s + n, 0), onTime.length);

  const compressed = await app.maintain(pooledSql, refreshUntil, compressBefore);
  assert.ok(compressed >= 3, `chunks compressed: ${compressed}`);
  const [{ n }] = await pooledSql`
    SELECT count(*)::int AS n FROM strata_information.chunks
     WHERE hypertable_name = 'device_status' AND is_compressed AND range_end <= ${compressBefore.toISOString()}::timestamptz`;
  assert.equal(n, compressed);
  const stats1 = await bouncerStats(DB);
  assert.ok(stats1.xacts - (stats0?.xacts ?? 0) >= batches.length, 'the reports went through the pooler');

  await checkDashboard(pooledSql, before_backlog, before_backlog, 'after the first refresh');
});

test('late backlogs upsert into compressed chunks; the rollup follows at the next refresh', async () => {
  // Backlog batches per device, concurrently, each an upsert.
  const byDevice = new Map();
  for (const r of backlog) byDevice.set(r.device_id, [...(byDevice.get(r.device_id) ?? []), r]);
  for (const a of [11, 12]) {
    assert.notDeepEqual(expectedHourly(before_backlog, a, since), expectedHourly(after_backlog, a, since),
      `the backlog changes the hourly rollup of account ${a}`);
  }
  const counts = await Promise.all([...byDevice.values()].map((b) => app.upsertBacklog(pooledSql, b)));
  assert.equal(counts.reduce((s, n) => s + n, 0), backlog.length);

  // The chunks holding the backlog stay in the columnstore (the conflicting rows were taken out
  // of their batches, not the chunks decompressed).
  const [{ n }] = await pooledSql`
    SELECT count(*)::int AS n FROM strata_information.chunks
     WHERE hypertable_name = 'device_status' AND NOT is_compressed AND range_end <= ${compressBefore.toISOString()}::timestamptz`;
  assert.equal(n, 0, 'no old chunk was decompressed');

  // The raw table shows the backlog at once; the materialized hours still show the last refresh.
  await checkDashboard(pooledSql, before_backlog, after_backlog, 'after the backlog, before refreshing');
  await app.maintain(pooledSql, refreshUntil, compressBefore);
  await checkDashboard(pooledSql, after_backlog, after_backlog, 'after the backlog and a refresh');
});

test('dashboards on direct connections: named prepared statements, auto and forced generic plans', async () => {
  for (const mode of ['auto', 'force_generic_plan']) {
    const sql = postgres({ ...direct, database: DB, max: 1, prepare: true, onnotice: () => {},
                           connection: { plan_cache_mode: mode } });
    try {
      for (let i = 0; i < 7; i++) await checkDashboard(sql, after_backlog, after_backlog, `${mode}, round ${i}`);
      const plans = await sql`
        SELECT sum(generic_plans)::int AS generic FROM pg_prepared_statements
         WHERE statement LIKE '%status_hourly%' AND statement NOT LIKE '%pg_prepared_statements%'`;
      assert.ok(plans[0].generic > 0, `${mode}: the rollup query ran with a generic plan`);
    } finally {
      await sql.end();
    }
  }
});
