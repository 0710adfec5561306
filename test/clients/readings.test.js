// The readings API (apps/readings.js) through PgBouncer in transaction mode with unnamed
// parameterized statements, and on direct connections with named prepared statements, auto and
// forced to generic plans; answers checked against the data the test generated, and the generic
// plans checked for run-time chunk exclusion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { direct, pooled, freshDatabase, bouncerStats, explainExecute, chunksExcludedAtStartup } from './lib/env.js';
import * as app from './apps/readings.js';

const DB = 'clients_readings';
const DEVICES = 12;
const STEP_MS = 5 * 60 * 1000;
const READINGS_PER_DEVICE = 30 * 12; // 30 hours, one reading every 5 minutes
const BATCH = 24;
const NOW = Math.floor(Date.now() / 1000) * 1000;

const readings = [];
for (let d = 0; d < DEVICES; d++) {
  for (let k = 0; k < READINGS_PER_DEVICE; k++) {
    readings.push({
      time: new Date(NOW - k * STEP_MS).toISOString(),
      device_id: `device-${String(d).padStart(2, '0')}`,
      temperature: 15 + d + ((k * 7) % 20) / 4,
      humidity: k % 11 === 0 ? null : 40 + (k % 30),
    });
  }
}

// A sparse device: a reading every seven hours, so its hourly series has gaps to fill.
for (let k = 0; k < 5; k++) {
  readings.push({
    time: new Date(NOW - (k * 7 + 1) * 3600000 - 60000).toISOString(),
    device_id: 'sparse-01', temperature: 30 - k, humidity: null,
  });
}

function expectedLatest() {
  const latest = new Map();
  for (const r of readings) {
    const cur = latest.get(r.device_id);
    if (!cur || r.time > cur.time) latest.set(r.device_id, r);
  }
  return [...latest.values()].sort((a, b) => a.device_id.localeCompare(b.device_id));
}

function expectedHourly(deviceId, untilIso) {
  const until = Date.parse(untilIso);
  const buckets = new Map();
  for (const r of readings) {
    const t = Date.parse(r.time);
    if (r.device_id !== deviceId || t <= until - 86400000 || t > until) continue;
    const hour = Math.floor(t / 3600000) * 3600000;
    const b = buckets.get(hour) ?? { t: 0, tn: 0, h: 0, hn: 0, n: 0 };
    b.t += r.temperature; b.tn++; b.n++;
    if (r.humidity !== null) { b.h += r.humidity; b.hn++; }
    buckets.set(hour, b);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([hour, b]) => ({
    hour, avg_temperature: b.t / b.tn, avg_humidity: b.hn ? b.h / b.hn : null, readings: b.n,
  }));
}

function close(a, b) {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

function checkLatest(rows) {
  const want = expectedLatest();
  assert.equal(rows.length, want.length);
  rows.forEach((r, i) => {
    assert.equal(r.device_id, want[i].device_id);
    assert.equal(r.time.toISOString(), want[i].time);
    assert.equal(r.temperature, want[i].temperature);
    assert.equal(r.humidity, want[i].humidity);
  });
}

function checkHourly(rows, deviceId, until) {
  const want = expectedHourly(deviceId, until);
  assert.equal(rows.length, want.length, `hours of ${deviceId}`);
  rows.forEach((r, i) => {
    assert.equal(r.hour.getTime(), want[i].hour);
    assert.equal(r.readings, want[i].readings);
    assert.ok(close(r.avg_temperature, want[i].avg_temperature), `avg temperature ${r.avg_temperature} vs ${want[i].avg_temperature}`);
    assert.ok(close(r.avg_humidity, want[i].avg_humidity), `avg humidity ${r.avg_humidity} vs ${want[i].avg_humidity}`);
  });
}

// The gap-filled series: every hour from the one holding until - 1 day to the one holding until,
// with the last average carried into hours without readings.
function checkFilled(rows, deviceId, untilIso) {
  const until = Date.parse(untilIso);
  const have = new Map(expectedHourly(deviceId, untilIso).map((b) => [b.hour, b]));
  const first = Math.floor((until - 86400000) / 3600000) * 3600000;
  const last = Math.floor(until / 3600000) * 3600000;
  assert.equal(rows.length, (last - first) / 3600000 + 1, `filled hours of ${deviceId}`);
  let carried = null;
  rows.forEach((r, i) => {
    const hour = first + i * 3600000;
    assert.equal(r.hour.getTime(), hour);
    const b = have.get(hour);
    assert.equal(r.readings, b ? b.readings : null, `readings at ${new Date(hour).toISOString()}`);
    if (b) carried = b.avg_temperature;
    assert.ok(close(r.temperature, carried), `temperature ${r.temperature} vs ${carried}`);
  });
}

const deviceIds = [...new Set(readings.map((r) => r.device_id))];
const until = new Date(NOW).toISOString();
const untilEarlier = new Date(NOW - 5 * 3600000 - 7 * 60000).toISOString();

async function planCounts(client, name) {
  const r = await client.query('SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', [name]);
  assert.equal(r.rows.length, 1, `prepared statement ${name} exists`);
  return { generic: Number(r.rows[0].generic_plans), custom: Number(r.rows[0].custom_plans) };
}

let poolerPool;

before(async () => {
  await freshDatabase(DB);
  const c = new pg.Client({ ...direct, database: DB });
  await c.connect();
  await c.query(app.schema);
  await c.end();
  poolerPool = new pg.Pool({ ...pooled, database: DB, max: 16 });
});

after(async () => {
  await poolerPool?.end();
});

test('devices POST batches through the pooler (unnamed parameterized statements)', async () => {
  const before = await bouncerStats(DB);
  const batches = [];
  for (let i = 0; i < readings.length; i += BATCH) batches.push(readings.slice(i, i + BATCH));
  let inserted = 0;
  // Many concurrent requests, as a fleet of function instances would send them.
  const results = await Promise.all(batches.map((b) => app.postReadings(poolerPool, b)));
  for (const n of results) inserted += n;
  assert.equal(inserted, readings.length);
  const after = await bouncerStats(DB);
  assert.ok(after.xacts - (before?.xacts ?? 0) >= batches.length, 'the inserts went through PgBouncer');
  const { rows } = await poolerPool.query('SELECT count(*)::int AS n, count(DISTINCT tableoid)::int AS chunks FROM readings');
  assert.equal(rows[0].n, readings.length);
  assert.ok(rows[0].chunks >= 15, `readings spread over ${rows[0].chunks} chunks`);
});

test('dashboard reads through the pooler', async () => {
  checkLatest(await app.latestPerDevice(poolerPool));
  const answers = await Promise.all(deviceIds.map((d) => app.hourlyAverages(poolerPool, d, until)));
  answers.forEach((rows, i) => checkHourly(rows, deviceIds[i], until));
  checkHourly(await app.hourlyAverages(poolerPool, deviceIds[3], untilEarlier), deviceIds[3], untilEarlier);
  checkFilled(await app.hourlyFilled(poolerPool, 'sparse-01', until), 'sparse-01', until);
  checkFilled(await app.hourlyFilled(poolerPool, 'sparse-01', untilEarlier), 'sparse-01', untilEarlier);
  checkFilled(await app.hourlyFilled(poolerPool, deviceIds[2], until), deviceIds[2], until);
});

test('named prepared statements on a direct connection reach generic plans', async () => {
  const c = new pg.Client({ ...direct, database: DB });
  await c.connect();
  try {
    // PostgreSQL plans the first five executions for their parameters, then switches to the
    // generic plan when it costs no more than those did.
    for (let i = 0; i < 10; i++) {
      const d = deviceIds[i % deviceIds.length];
      checkHourly(await app.hourlyAverages(c, d, until, { named: true }), d, until);
      checkLatest(await app.latestPerDevice(c, { named: true }));
    }
    const hourly = await planCounts(c, 'readings_hourlyAverages');
    const latest = await planCounts(c, 'readings_latestPerDevice');
    assert.ok(hourly.generic > 0, `hourly averages: ${JSON.stringify(hourly)}`);
    assert.ok(latest.generic > 0, `latest per device: ${JSON.stringify(latest)}`);
  } finally {
    await c.end();
  }
});

test('plan_cache_mode = force_generic_plan: same answers, chunks excluded at executor start', async () => {
  const c = new pg.Client({ ...direct, database: DB, options: '-c plan_cache_mode=force_generic_plan' });
  await c.connect();
  try {
    const extra = readings.slice(0, 3).map((r) => ({ ...r, time: new Date(NOW - 40 * 3600000).toISOString() }));
    assert.equal(await app.postReadings(c, extra, { named: true }), 3);
    await c.query("DELETE FROM readings WHERE time = $1", [extra[0].time]);
    for (const d of deviceIds) checkHourly(await app.hourlyAverages(c, d, until, { named: true }), d, until);
    checkHourly(await app.hourlyAverages(c, deviceIds[5], untilEarlier, { named: true }), deviceIds[5], untilEarlier);
    checkLatest(await app.latestPerDevice(c, { named: true }));
    for (const u of [until, untilEarlier]) checkFilled(await app.hourlyFilled(c, 'sparse-01', u, { named: true }), 'sparse-01', u);
    for (const name of ['readings_hourlyAverages', 'readings_latestPerDevice', 'readings_insertBatch', 'readings_hourlyFilled']) {
      const counts = await planCounts(c, name);
      assert.equal(counts.custom, 0, `${name}: ${JSON.stringify(counts)}`);
      assert.ok(counts.generic > 0, `${name}: ${JSON.stringify(counts)}`);
    }
    // 30 hours of 2-hour chunks: a one-day window leaves several chunks out, decided only when
    // the generic plan starts (its parameters, or now(), are unknown when it is planned).
    const hourlyPlan = (await c.query(explainExecute('readings_hourlyAverages', [`'${deviceIds[0]}'`, `'${until}'`]))).rows.map((r) => r['QUERY PLAN']);
    const excluded = chunksExcludedAtStartup(hourlyPlan);
    assert.ok(excluded >= 2, `hourly averages plan:\n${hourlyPlan.join('\n')}`);
    const latestPlan = (await c.query(explainExecute('readings_latestPerDevice', []))).rows.map((r) => r['QUERY PLAN']);
    // Whether the planner picks per-chunk skip scans (depending on the statistics autovacuum has
    // gathered by then, under a ChunkMergeAppend) or not (a ChunkAppend), chunks outside the
    // window are excluded when the plan starts.
    assert.ok(chunksExcludedAtStartup(latestPlan) >= 1, `latest per device plan:\n${latestPlan.join('\n')}`);
    const filledPlan = (await c.query(explainExecute('readings_hourlyFilled', [`'sparse-01'`, `'${until}'`]))).rows.map((r) => r['QUERY PLAN']);
    assert.ok(filledPlan.some((l) => l.includes('GapFill')), `gap-filled plan:\n${filledPlan.join('\n')}`);
    assert.ok(chunksExcludedAtStartup(filledPlan) >= 2, `gap-filled plan:\n${filledPlan.join('\n')}`);
  } finally {
    await c.end();
  }
});
