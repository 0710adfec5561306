-- fleet workload: device status logs, a plain table or (with -v hypertable=true) a strata
-- hypertable, with the same indexes on both targets.
CREATE TABLE device_state (
  "timestamp"      timestamptz NOT NULL,
  account_id       text NOT NULL,
  device_id        text NOT NULL,
  colo             text,
  status           text,
  mode             text,
  client_version   text,
  client_platform  text
);
\if :hypertable
SELECT create_hypertable('device_state', 'timestamp',
                         chunk_time_interval => :'chunk_interval'::interval,
                         create_default_indexes => false);
\endif
CREATE UNIQUE INDEX device_state_device_account_time_idx
  ON device_state (device_id, account_id, "timestamp");
CREATE INDEX device_state_account_time_idx ON device_state (account_id, "timestamp");
