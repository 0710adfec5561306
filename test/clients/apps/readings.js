// A readings API as a serverless function would write it with node-postgres: devices POST batches
// of readings (one INSERT ... SELECT FROM jsonb_to_recordset($1) per batch); dashboards ask for the
// latest reading per device, hourly averages over the last day, and the same as a gap-free chart
// series (time_bucket_gapfill with locf).
// `db` is anything with node-postgres's query(config) (a Pool, a Client). With `named`, every
// statement is a named prepared statement (what a pooler that keeps prepared statements, or a
// direct connection, allows); without it, the driver sends unnamed parameterized statements,
// which work through a transaction-mode pooler.

export const schema = `
  CREATE TABLE readings (
    time        timestamptz NOT NULL,
    device_id   text NOT NULL,
    temperature double precision,
    humidity    double precision
  );
  SELECT create_hypertable('readings', by_range('time', INTERVAL '2 hours'));
  CREATE INDEX readings_device_time ON readings (device_id, time DESC);
`;

export const statements = {
  insertBatch: `
    INSERT INTO readings (time, device_id, temperature, humidity)
    SELECT r.time, r.device_id, r.temperature, r.humidity
      FROM jsonb_to_recordset($1::jsonb)
           AS r(time timestamptz, device_id text, temperature double precision, humidity double precision)`,
  latestPerDevice: `
    SELECT DISTINCT ON (device_id) device_id, time, temperature, humidity
      FROM readings
     WHERE time > now() - INTERVAL '1 day'
     ORDER BY device_id, time DESC`,
  hourlyAverages: `
    SELECT time_bucket('1 hour', time) AS hour, avg(temperature) AS avg_temperature,
           avg(humidity) AS avg_humidity, count(*)::int AS readings
      FROM readings
     WHERE device_id = $1 AND time > $2::timestamptz - INTERVAL '1 day' AND time <= $2::timestamptz
     GROUP BY hour
     ORDER BY hour`,
  // The same day as a gap-free series for a chart: every hour present, the last average carried
  // into hours without readings.
  hourlyFilled: `
    SELECT time_bucket_gapfill('1 hour', time) AS hour, count(*)::int AS readings,
           locf(avg(temperature)) AS temperature
      FROM readings
     WHERE device_id = $1 AND time > $2::timestamptz - INTERVAL '1 day' AND time <= $2::timestamptz
     GROUP BY hour
     ORDER BY hour`,
};

function q(name, values, named) {
  return named ? { name: `readings_${name}`, text: statements[name], values }
               : { text: statements[name], values };
}

// POST /readings: body is an array of {time, device_id, temperature, humidity}.
export async function postReadings(db, batch, { named = false } = {}) {
  const r = await db.query(q('insertBatch', [JSON.stringify(batch)], named));
  return r.rowCount;
}

// GET /devices/latest
export async function latestPerDevice(db, { named = false } = {}) {
  const r = await db.query(q('latestPerDevice', [], named));
  return r.rows;
}

// GET /devices/:id/chart?until=...
export async function hourlyFilled(db, deviceId, until, { named = false } = {}) {
  const r = await db.query(q('hourlyFilled', [deviceId, until], named));
  return r.rows;
}

// GET /devices/:id/hourly?until=...
export async function hourlyAverages(db, deviceId, until, { named = false } = {}) {
  const r = await db.query(q('hourlyAverages', [deviceId, until], named));
  return r.rows;
}
