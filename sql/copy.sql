-- COPY FROM into a hypertable: every format and the usual options, routed in batches per chunk.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set cpu_bin :tmpdir '/cpu.bin'
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE cpu (time timestamptz NOT NULL, host text NOT NULL, usage float8 DEFAULT 0.5,
                  UNIQUE (host, time));
SELECT * FROM create_hypertable('cpu', by_range('time', INTERVAL '1 hour'));

-- text format from STDIN
COPY cpu FROM STDIN;
2024-01-01 00:00:00+00	a	1
2024-01-01 00:30:00+00	b	2
2024-01-01 01:10:00+00	a	3
\N	a	3
\.
COPY cpu FROM STDIN;
2024-01-01 00:00:00+00	a	1
2024-01-01 00:30:00+00	b	2
2024-01-01 01:10:00+00	a	3
\.
-- csv with HEADER, column list (default for usage), FORCE_NULL
COPY cpu (time, host) FROM STDIN WITH (FORMAT csv, HEADER true);
time,host
2024-01-01 02:00:00+00,c
"2024-01-01 03:00:00+00","d"
\.
COPY cpu FROM STDIN WITH (FORMAT csv, FORCE_NULL (usage));
2024-01-01 04:00:00+00,e,""
2024-01-01 04:01:00+00,e,7
\.
-- COPY ... WHERE
COPY cpu FROM STDIN WITH (FORMAT csv) WHERE host <> 'skip';
2024-01-01 05:00:00+00,f,1
2024-01-01 05:00:00+00,skip,1
\.
SELECT time, host, usage, tableoid::regclass FROM cpu ORDER BY time, host;

-- binary format, from a file written by COPY TO
COPY (SELECT time + INTERVAL '1 day', host, usage FROM cpu) TO :'cpu_bin' WITH (FORMAT binary);
COPY cpu FROM :'cpu_bin' WITH (FORMAT binary);
SELECT count(*), count(DISTINCT tableoid) FROM cpu;

-- a unique violation rolls back the whole COPY, with the failing line reported
SELECT pg_temp.err($$COPY cpu FROM PROGRAM 'printf "2024-03-01 00:00:00+00,z,1\n2024-01-01 00:00:00+00,a,1\n"' WITH (FORMAT csv)$$);
SELECT count(*) FROM cpu WHERE time >= '2024-03-01';

-- triggers fire for copied rows; BEFORE triggers can change or skip rows
CREATE TABLE cpu_log (host text);
CREATE FUNCTION cpu_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_WHEN = 'BEFORE' THEN
    IF NEW.host = 'drop' THEN RETURN NULL; END IF;
    NEW.usage := coalesce(NEW.usage, 0) * 100;
    RETURN NEW;
  END IF;
  INSERT INTO cpu_log VALUES (NEW.host);
  RETURN NULL;
END $$;
CREATE TABLE cpu2 (time timestamptz NOT NULL, host text, usage float8);
SELECT * FROM create_hypertable('cpu2', by_range('time', INTERVAL '1 day'));
CREATE TRIGGER b BEFORE INSERT ON cpu2 FOR EACH ROW EXECUTE FUNCTION cpu_trg();
CREATE TRIGGER a AFTER INSERT ON cpu2 FOR EACH ROW EXECUTE FUNCTION cpu_trg();
COPY cpu2 FROM STDIN WITH (FORMAT csv);
2024-01-01,x,1
2024-01-02,drop,1
2024-01-03,y,2
\.
SELECT time, host, usage FROM cpu2 ORDER BY time;
SELECT * FROM cpu_log ORDER BY host;

-- permissions: INSERT privilege on the hypertable is required
CREATE ROLE strata_copier IN ROLE pg_read_server_files;
SET ROLE strata_copier;
SELECT pg_temp.err(format('COPY cpu FROM %L WITH (FORMAT binary)', :'cpu_bin'));
RESET ROLE;
GRANT INSERT ON cpu TO strata_copier;
SET ROLE strata_copier;
SELECT pg_temp.err(format('COPY cpu FROM %L WITH (FORMAT binary)', :'cpu_bin'));
RESET ROLE;
REVOKE INSERT ON cpu FROM strata_copier;
DROP ROLE strata_copier;
SELECT pg_temp.err(format('COPY cpu FROM %L WITH (FORMAT binary, FREEZE)', :'cpu_bin'));

-- many chunks in one COPY
COPY cpu (time, host, usage) FROM PROGRAM 'seq 0 499 | awk ''{ printf "2024-02-%02d %02d:00:00+00,h%d,%d\n", 1 + int($1 / 24), $1 % 24, $1, $1 }''' WITH (FORMAT csv);
SELECT count(*), count(DISTINCT tableoid) FROM cpu WHERE time >= '2024-02-01' AND time < '2024-03-01';
INSERT INTO cpu SELECT '2024-06-01'::timestamptz + i * INTERVAL '7 minutes', 'gen', i FROM generate_series(1, 2000) i;
SELECT count(*) FILTER (WHERE host = 'gen') AS generated, count(DISTINCT tableoid) FILTER (WHERE host = 'gen') AS chunks FROM cpu;
SELECT count(*) FROM ONLY cpu;
