-- Statements strata runs for a caller as its own superuser (chunk DDL, catalog updates) resolve
-- names in pg_catalog only: a caller's search_path cannot slip its own operators into them, or
-- into what they store (a chunk's CHECK constraint).
SET TimeZone = 'UTC';
CREATE TABLE hijack_log (fn text);
CREATE TABLE refs (id int PRIMARY KEY);
INSERT INTO refs VALUES (1);
CREATE SCHEMA evil;
CREATE FUNCTION evil.ge(a timestamptz, b timestamptz) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log VALUES ('>='); RETURN a OPERATOR(pg_catalog.>=) b; END $$;
CREATE FUNCTION evil.lt(a timestamptz, b timestamptz) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log VALUES ('<'); RETURN a OPERATOR(pg_catalog.<) b; END $$;
CREATE FUNCTION evil.eq(a int4, b int4) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log VALUES ('='); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR evil.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.ge);
CREATE OPERATOR evil.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.lt);
CREATE OPERATOR evil.= (LEFTARG = int4, RIGHTARG = int4, FUNCTION = evil.eq);

CREATE TABLE m (time timestamptz NOT NULL, v int, ref int REFERENCES refs (id));
SELECT * FROM create_hypertable('m', by_range('time', INTERVAL '1 day'));

-- a new chunk made while the caller's operators come first
SET search_path = evil, pg_catalog, public;
INSERT INTO m VALUES ('2026-01-01 10:00', 1, 1);
INSERT INTO m VALUES ('2026-01-01 11:00', 2, 1);
RESET search_path;
-- its range constraint uses pg_catalog's operators (no dependency on evil's) ...
SELECT c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
WHERE r.relname LIKE '\_hyper\_%' ORDER BY 1;
SELECT count(*) AS evil_operator_dependencies
FROM pg_depend d JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND d.refobjid = o.oid
WHERE o.oprnamespace = 'evil'::regnamespace AND d.classid = 'pg_constraint'::regclass;
-- ... and the cloned foreign key still references public.refs
SET search_path = evil, pg_catalog, public;
INSERT INTO m VALUES ('2026-01-01 12:00', 3, 2);
-- catalog updates (rename of the time column, drop of the hypertable) under the same path
ALTER TABLE m RENAME COLUMN time TO ts;
SELECT column_name FROM strata_information.dimensions WHERE hypertable_name = 'm';
DROP TABLE m;
RESET search_path;
SELECT count(*) AS hypertables_left FROM strata_information.hypertables;
-- none of the caller's operator functions ever ran
SELECT fn, count(*) FROM hijack_log GROUP BY fn ORDER BY fn;
