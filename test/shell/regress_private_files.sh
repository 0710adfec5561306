#!/usr/bin/env bash
# pg_regress and isolation tests write their files (COPY TO, read back with COPY FROM) into the
# directory scripts/test.sh and test/flaky.sh give each test and run (STRATA_REGRESS_TMP), never to
# a fixed path under /tmp: two suites run at once on one machine (two checkouts) would overwrite
# each other's files there. Fails on any fixed /tmp path in sql/, expected/ or test/isolation/.
# Usage: test/shell/regress_private_files.sh   (prints PASS or FAIL)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
# The one exception: the whole comment line (and its echo in expected/) that states this rule,
# matched exactly, so nothing else on a line can hide a path.
RULE='-- (and )?test/flaky\.sh\), never to a fixed /tmp path that another run of the test could share\.'
unexempted() { grep -vE "^[^:]+:[0-9]+:$RULE\$"; }
# (the exception itself: the rule's line passes, the same line with anything more does not)
probe=$(printf '%s\n' "a.sql:1:-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share." \
                      "a.sql:2:-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share. '/tmp/x'" \
                      "a.sql:3:COPY t TO '/tmp/x'; -- never to a fixed /tmp path" | unexempted | cut -d: -f2 | tr '\n' ' ')
if [ "$probe" != "2 3 " ]; then
  echo "FAIL: the exception is not exact (lines kept: $probe, want 2 3)"
  echo FAIL
  exit 1
fi
found=$(grep -rnE "/tmp\b" sql expected test/isolation --include='*.sql' --include='*.out' --include='*.spec' | unexempted)
if [ -n "$found" ]; then
  echo "FAIL: fixed /tmp paths (use \\getenv tmpdir STRATA_REGRESS_TMP and a psql variable):"
  echo "$found" | head -20
  echo FAIL
  exit 1
fi
# and the runners set the directory
for f in scripts/test.sh test/flaky.sh; do
  grep -q 'export STRATA_REGRESS_TMP=' "$f" || { echo "FAIL: $f does not set STRATA_REGRESS_TMP"; echo FAIL; exit 1; }
done
echo "ok: no fixed /tmp path in the pg_regress and isolation tests"
echo PASS
