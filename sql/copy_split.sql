-- COPY FROM into a hypertable in text and CSV format splits the lines that lie whole in
-- PostgreSQL's input buffer into fields itself (strata.copy_fast_split, src/ingest/copy_split.cpp)
-- and leaves every other line to PostgreSQL's parser; a plain line whose fields all have types
-- copy_input.cpp converts is not even split (strata.copy_typed_lines). A differential test: the same
-- bytes copied into a plain table and into a hypertable (typed lines on; off with the splitter on;
-- splitter off) with the same name in two schemas
-- must give the same rows and the same error, SQLSTATE, message, detail, hint and context (line
-- number, column, line text) - for hand-picked inputs (escapes, \N, quotes, CRLF, empty lines,
-- long lines, multibyte, the end-of-copy marker, mixed newlines) and for random ones.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA csp;  -- plain
CREATE SCHEMA csh;  -- hypertable
CREATE TABLE csp.t (tz timestamptz NOT NULL, a text, b int, c float8, d text);
CREATE TABLE csh.t (LIKE csp.t);
SELECT count(*) FROM create_hypertable('csh.t', by_range('tz', interval '1 day'));
-- (the chunk exists already: a COPY that fails does not create and drop one each time)
INSERT INTO csp.t VALUES ('2026-01-01 12:00:00+00');
INSERT INTO csh.t VALUES ('2026-01-01 12:00:00+00');

-- The file the COPYs read (in the data directory).
CREATE FUNCTION csp.path() RETURNS text LANGUAGE sql AS $$ SELECT 'strata_regress_copy_split_' || pg_backend_pid() || '.dat' $$;
CREATE FUNCTION csp.put(data bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  o oid := lo_from_bytea(0, data);
BEGIN
  PERFORM lo_export(o, csp.path());
  PERFORM lo_unlink(o);
END $$;

-- One COPY of the file with `opts` into `schema`.t: its rows (those at 2026-01-01 00:00) or its
-- error; rolled back either way.
CREATE FUNCTION csp.run(schema text, opts text, split boolean, typed boolean, cols text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
  st text; msg text; det text; hint text; ctx text;
BEGIN
  BEGIN
    PERFORM set_config('search_path', schema, true);
    PERFORM set_config('strata.copy_fast_split', split::text, true);
    PERFORM set_config('strata.copy_typed_lines', typed::text, true);
    EXECUTE format('COPY t %s FROM %L WITH (%s)', cols, csp.path(), opts);
    EXECUTE $q$SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '(no rows)') FROM t
               WHERE tz = '2026-01-01 00:00:00+00'$q$ INTO r;
    RAISE SQLSTATE 'SX001';
  EXCEPTION
    WHEN SQLSTATE 'SX001' THEN
      RETURN r;
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                              hint = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
      RETURN format('ERROR %s: %s%s%s%sCONTEXT: %s', st, msg,
                    CASE WHEN det <> '' THEN E'\nDETAIL: ' || det ELSE '' END,
                    CASE WHEN hint <> '' THEN E'\nHINT: ' || hint ELSE '' END, E'\n',
                    split_part(ctx, E'\n', 1));
  END;
END $$;

-- The four outcomes of `data`: the plain table's when all agree, else all four.
CREATE FUNCTION csp.cmp(data bytea, opts text, cols text DEFAULT '') RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  p text; h text; s text; o text;
BEGIN
  PERFORM csp.put(data);
  p := csp.run('csp', opts, true, true, cols);
  h := csp.run('csh', opts, true, true, cols);
  s := csp.run('csh', opts, true, false, cols);
  o := csp.run('csh', opts, false, false, cols);
  IF p = h AND p = s AND p = o THEN RETURN p; END IF;
  RETURN format(E'DIFF\n--- plain:\n%s\n--- strata:\n%s\n--- strata, typed lines off:\n%s\n--- strata, split off:\n%s',
                p, h, s, o);
END $$;
CREATE FUNCTION csp.cmp(data text, opts text, cols text DEFAULT '') RETURNS text LANGUAGE sql AS $$
  SELECT csp.cmp(convert_to(data, 'UTF8'), opts, cols) $$;

-- CSV: quotes, doubled quotes, delimiters and newlines inside quotes, empty and quoted empty
-- fields, \N (data in CSV), a backslash line that is not the end marker, an empty line.
SELECT csp.cmp(E'2026-01-01 00:00:00+00,plain,1,1.5,x\n'
               '2026-01-01 00:00:00+00,"quoted, comma",2,"2.5","q""q"\n'
               '2026-01-01 00:00:00+00,,,,""\n'
               '2026-01-01 00:00:00+00,"multi\nline",3,3,\\N\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n\\x,2026-01-01 00:00:00+00\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,ab"c,d"e,4,4,"x"y"z"\n'
               '2026-01-01 00:00:00+00,é日本,5,5,\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n\n2026-01-01 00:00:00+00,b,2,2,y\n', 'FORMAT csv');
-- CRLF and CR line ends, and a mix (PostgreSQL's errors, line numbers)
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\r\n2026-01-01 00:00:00+00,"b\r\nc",2,2,y\r\n2026-01-01 00:00:00+00,d,3,3,z\r\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\r2026-01-01 00:00:00+00,b,2,2,y\r', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\r\n2026-01-01 00:00:00+00,b,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b\r,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\r2026-01-01 00:00:00+00,b,2,2,y\n', 'FORMAT csv');
-- the last line without a newline; an unterminated quote at the end
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2,y', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,"b,2,2,y\n', 'FORMAT csv');
-- the end-of-copy marker (what follows it is not read), and \. as data
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n\\.\n2026-01-01 00:00:00+00,b,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,\\.\n"\\."\n', 'FORMAT csv');
-- too many and too few fields, a bad value: the line and the column in the context
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2,y,extra\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,"b\nb",2\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,"a\n\n",1,1,x\n2026-01-01 00:00:00+00,b,two,2,y\n', 'FORMAT csv');
-- other quote, escape, delimiter and NULL; HEADER; FORCE_NULL / FORCE_NOT_NULL
SELECT csp.cmp(E'2026-01-01 00:00:00+00|''a|b''|1|1|''x\\''y''\n2026-01-01 00:00:00+00|NULL|2|2|''\\\\''\n',
               $$FORMAT csv, DELIMITER '|', QUOTE '''', ESCAPE '\', NULL 'NULL'$$);
SELECT csp.cmp(E'tz,a,b,c,d\n2026-01-01 00:00:00+00,"",1,1,\n2026-01-01 00:00:00+00,,2,2,""\n',
               'FORMAT csv, HEADER, FORCE_NULL (a, d), FORCE_NOT_NULL (d)');

-- Text: \N, escapes (octal, hex, \b \f \n \r \t \v, any other character itself), an escaped
-- delimiter, a backslash-newline, multibyte text; \. and escapes that make non-ASCII bytes are
-- PostgreSQL's.
SELECT csp.cmp(E'2026-01-01 00:00:00+00\t\\N\t\\N\t\\N\t\\N\n'
               '2026-01-01 00:00:00+00\ta\\tb\\\\c\\x41\\101\\1\\x4g\\xg\t7\t7.5\tn\\N\n'
               '2026-01-01 00:00:00+00\t\\b\\f\\n\\r\\v\\q\\\t\t8\t8\té\\日本\n'
               '2026-01-01 00:00:00+00\tback\\\nslash\t9\t9\t\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\t\\303\\251\t1\t1\t\\xc3\\xa9\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\t\\377\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\\.\n2026-01-01 00:00:00+00\tb\t2\t2\ty\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\n\\.\ngarbage\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\n\\.x\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\r\n2026-01-01 00:00:00+00\tb\\\r\n\t2\t2\ty\r\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\n2026-01-01 00:00:00+00\tb\r\t2\t2\ty\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,,1,1,\\N\n2026-01-01 00:00:00+00,\\,,2,2,x\n', $$FORMAT text, DELIMITER ',', NULL ''$$);
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\ty\n', 'FORMAT text');
-- Invalid UTF-8 in the input (PostgreSQL's check of the buffer), and input in LATIN1.
SELECT csp.cmp(convert_to(E'2026-01-01 00:00:00+00\ta\t1\t1\tx\n2026-01-01 00:00:00+00\tb\t2\t2\t', 'UTF8') || '\xff0a'::bytea, 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,é,1,1,"ü"\n2026-01-01 00:00:00+00,\\N,2,2,x\n', $$FORMAT csv, ENCODING 'LATIN1'$$);
-- A line longer than the input buffer, and lines across its end.
SELECT left(csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,' || repeat('long', 40000) || E',2,2,y\n2026-01-01 00:00:00+00,b,3,3,z\n', 'FORMAT csv'), 120);
SELECT r NOT LIKE 'DIFF%' AND r NOT LIKE 'ERROR%' AS same, array_length(string_to_array(r, E'\n'), 1) AS rows
  FROM (SELECT csp.cmp(string_agg(format(E'2026-01-01 00:00:00+00,"r%s, q""",%s,%s.5,%s\n', i, i, i,
                                         repeat('é', i % 50)), ''), 'FORMAT csv') AS r
          FROM generate_series(1, 3000) i) s;

-- Typed lines (every field of a converted type): values next to the plain forms (signs,
-- spaces, exponents, too many digits, out of range, timestamps without offset or with 7 digits of
-- fraction, another date part for the same instant, a day that does not exist), a NULL marker that is itself a plain value (compared before
-- converting), NULL markers that a field only starts with, too few and too many fields, a column
-- list in another order with the others' defaults, a CR inside an NL file.
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,+1,+1.5,x\n2026-01-01 00:00:00+00,b,-0,-0.0,y\n'
               '2026-01-01 00:00:00+00,c,00012,000.125,z\n2026-01-01 00:00:00.5+05:30,d,7,.5,w\n'
               '2026-01-01 00:00:00-01,e,8,5.,v\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b, 2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2 ,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1e2,x\n2026-01-01 00:00:00+00,b,2,1234567890123456.5,y\n'
               '2026-01-01 00:00:00+00,c,3,0.30000000000000004,z\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,2147483647,1,x\n2026-01-01 00:00:00+00,b,2147483648,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00,b,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2025-12-31 19:00:00.1234567-05,b,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2025-12-31 19:00:00-05,b,2,2,y\n2026-01-01 05:30:00+05:30,c,3,3,z\n'
               '2025-12-31 23:00:00-01,d,4,4,w\n2026-01-01 00:00:00+00,e,5,5,v\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-02-30 00:00:00+00,b,2,2,y\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,0,0,0,0\n2026-01-01 00:00:00+00,00,1,0.0,\n', $$FORMAT csv, NULL '0'$$);
SELECT csp.cmp(E'2026-01-01 00:00:00+00\tNULL\tNULL\tNULL\tNULLx\n2026-01-01 00:00:00+00\tNULLy\t1\t1\t\n',
               $$FORMAT text, NULL 'NULL'$$);
SELECT csp.cmp(E'2026-01-01 00:00:00+00\t\\N\t\\N\t\\N\t\\Nx\n2026-01-01 00:00:00+00\t\\N1\t1\t1\t\n', 'FORMAT text');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2,y,\n', 'FORMAT csv');
SELECT csp.cmp(E'2026-01-01 00:00:00+00,a,1,1,x\n2026-01-01 00:00:00+00,b,2,2,y\r\n', 'FORMAT csv');
ALTER TABLE csp.t ALTER b SET DEFAULT 42;
ALTER TABLE csh.t ALTER b SET DEFAULT 42;
SELECT csp.cmp(E'x,1.5,2026-01-01 00:00:00+00\ny,,2026-01-01 00:00:00+00\n,2,2026-01-01 00:00:00+00\n', 'FORMAT csv',
               '(d, c, tz)');

-- Random inputs: fields made of pieces that mean something to one format or the other, random
-- newline styles (now and then a different one), now and then a missing last newline or an end
-- marker; each input under several option sets.
CREATE FUNCTION csp.gen(lines int, eol text, delim text, csv boolean, noise float8, quote text DEFAULT '"')
  RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  -- pieces that keep a line valid (for its format), and pieces that may not
  benign text[] := ARRAY['', 'abc', 'x y', '12', '-7', '3.25', 'NULL', 'é', '日本', '\N', '\t', '\\', '\x41',
                         '\101', '"a;b"', '"q""q"', repeat('z', 40), ' ', '.'];
  quoted text[] := ARRAY['"a,b"', E'"x\ny"', E'"x\r\ny"', '""', '"\\"', '''a'''];
  escapes text[] := ARRAY['\x4', '\xg', '\1', '\303\251', '\b\f\n\r\v', '\q', '\,', '\|'];
  wild text[] := ARRAY['\0', '\xe9', '\.', '"', '"\""', '"\"', '\', '''', ',', '|', E'\t', E'\r', E'\n', '"open',
                       '\377'];
  ints text[] := CASE WHEN csv THEN ARRAY['1', '-7', '', '"5"', ' 5', '12', '0']
                 ELSE ARRAY['1', '-7', '\N', ' 5', '12', '0'] END;
  floats text[] := CASE WHEN csv THEN ARRAY['3.25', '1e3', '-0', '', '"2.5"', 'NaN', '0.1', '0.30000000000000004']
                   ELSE ARRAY['3.25', '1e3', '-0', '\N', 'NaN', '0.1', '0.30000000000000004'] END;
  eols text[] := ARRAY[E'\n', E'\r\n', E'\r'];
  pool text[] := benign || CASE WHEN csv THEN quoted ELSE escapes END;
  r text := '';
  f text;
BEGIN
  FOR i IN 1 .. lines LOOP
    r := r || '2026-01-01 00:00:00+00';
    FOR k IN 1 .. 4 + (CASE WHEN random() < noise THEN 1 WHEN random() < noise THEN -1 ELSE 0 END) LOOP
      IF k = 2 THEN f := ints[1 + floor(random() * array_length(ints, 1))::int];
      ELSIF k = 3 THEN f := floats[1 + floor(random() * array_length(floats, 1))::int];
      ELSE
        f := '';
        FOR j IN 1 .. floor(random() * 4)::int LOOP
          f := f || CASE WHEN random() < noise THEN wild[1 + floor(random() * array_length(wild, 1))::int]
                         ELSE pool[1 + floor(random() * array_length(pool, 1))::int] END;
        END LOOP;
      END IF;
      r := r || CASE WHEN random() < noise THEN ';' ELSE delim END || f;
    END LOOP;
    IF random() < noise THEN r := r || eol || '\.'; END IF;
    IF i < lines OR random() > noise * 5 THEN
      r := r || CASE WHEN random() < noise THEN eols[1 + floor(random() * 3)::int] ELSE eol END;
    END IF;
  END LOOP;
  -- (the CSV quote character, when it is not ")
  RETURN CASE WHEN csv AND quote <> '"' THEN translate(r, '"' || quote, quote || '"') ELSE r END;
END $$;
SELECT setseed(0.16);
CREATE TABLE csp.outcome AS
  SELECT o.opts, c.n,
         csp.cmp(csp.gen(1 + floor(random() * 6)::int, (ARRAY[E'\n', E'\r\n', E'\r'])[1 + c.n % 3], o.delim,
                         o.opts LIKE '%csv%', 0.02, CASE WHEN o.opts LIKE '%QUOTE%' THEN '''' ELSE '"' END),
                 o.opts) AS result
    FROM (VALUES ('FORMAT csv', ','), ($$FORMAT csv, QUOTE '''', ESCAPE '\'$$, ','),
                 ($$FORMAT csv, DELIMITER '|', NULL '\N'$$, '|'), ('FORMAT text', E'\t'),
                 ($$FORMAT text, DELIMITER ',', NULL ''$$, ','), ($$FORMAT csv, ENCODING 'LATIN1'$$, ',')) o (opts, delim),
         generate_series(1, 100) c (n);
-- (every outcome the same; most inputs load rows, the others fail in many ways)
SELECT opts, count(*) AS inputs, count(*) FILTER (WHERE result LIKE 'DIFF%') AS different,
       count(*) FILTER (WHERE result NOT LIKE 'ERROR%' AND result NOT LIKE 'DIFF%') AS loaded,
       count(DISTINCT split_part(result, E'\n', 1)) FILTER (WHERE result LIKE 'ERROR%') AS distinct_errors
  FROM csp.outcome GROUP BY opts ORDER BY opts;
SELECT opts, n, result FROM csp.outcome WHERE result LIKE 'DIFF%' ORDER BY opts, n LIMIT 3;
-- Larger inputs, across the input buffer's end: the rows loaded, and all the same.
SELECT setseed(0.61);
SELECT o.opts, r LIKE 'DIFF%' AS different, CASE WHEN r LIKE 'ERROR%' THEN r END AS error,
       array_length(string_to_array(r, E'\n'), 1) AS lines
  FROM (VALUES ('FORMAT csv', ','), ('FORMAT text', E'\t'), ($$FORMAT csv, QUOTE '''', ESCAPE '\'$$, ','),
               ($$FORMAT csv, DELIMITER '|'$$, '|')) o (opts, delim),
       LATERAL (SELECT csp.cmp(csp.gen(2000, eol, o.delim, o.opts LIKE '%csv%', 0,
                                       CASE WHEN o.opts LIKE '%QUOTE%' THEN '''' ELSE '"' END), o.opts) AS r
                  FROM unnest(ARRAY[E'\n', E'\r\n']) eol) x
 ORDER BY 1, 3, 4;
-- one error far into the input (its line number counts the newlines inside quotes)
SELECT csp.cmp(csp.gen(1500, E'\r\n', ',', true, 0) || E'2026-01-01 00:00:00+00,a,x,1,y\r\n', 'FORMAT csv');

-- COPY FROM STDIN (the client's messages fill the buffer), and a unique violation of a buffered
-- row: its line number, not the line read last.
CREATE UNIQUE INDEX ON csp.t (tz, a);
CREATE UNIQUE INDEX ON csh.t (tz, a);
SET search_path = csp;
COPY t FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,s1,1,1,"x,""y"""
2026-01-01 00:00:00+00,s2,2,2,
2026-01-01 00:00:00+00,s1,3,3,z
\.
SET search_path = csh;
COPY t FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,s1,1,1,"x,""y"""
2026-01-01 00:00:00+00,s2,2,2,
2026-01-01 00:00:00+00,s1,3,3,z
\.
COPY t FROM STDIN;
2026-01-01 00:00:00+00	s1	1	1	x\ty
2026-01-01 00:00:00+00	s2	\N	\N	\N
\.
SELECT * FROM t WHERE tz = '2026-01-01 00:00:00+00' ORDER BY a;
RESET search_path;

-- A delimiter that can be part of a value (a space inside a timestamp, a dot inside a float): PostgreSQL
-- splits at every delimiter and finds extra data; typed lines must not read a value across one.
-- (the first line is always left to the splitter)
SELECT csp.cmp(E'2026-01-01T00:00:00+00 5\n2026-01-01 00:00:00+00 6\n', $$DELIMITER ' '$$, '(tz, b)');
SELECT csp.cmp(E'2026-01-01T00:00:00+00.1.5\n2026-01-01 00:00:00+00.1.5.7\n', $$FORMAT csv, DELIMITER '.'$$, '(tz, c, b)');
SELECT csp.cmp(E'20260101 00:00:00+00-5-6\n2026-01-01 00:00:00+00-5-6\n', $$DELIMITER '-'$$, '(tz, b, c)');

SELECT csp.put(''::bytea);
SET client_min_messages = warning;
DROP SCHEMA csp, csh CASCADE;
