# PGXS build of the strata extension: the shared library, the versioned install script and the
# pg_regress / isolation suites. The PostgreSQL-free core in src/core is also built (with its
# tests, benchmarks and fuzzers) by CMakeLists.txt.
EXTENSION   = strata
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" strata.control)
MODULE_big  = strata

CORE_SRCS := $(sort $(filter-out src/core/tests/% src/core/fuzz/% src/core/bench/%,\
               $(wildcard src/core/*.cpp src/core/*/*.cpp)))
GLUE_SRCS := $(sort $(filter-out src/core/%,$(wildcard src/*/*.cpp)))
OBJS       = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

SQL_SRCS  := $(sort $(wildcard src/sql/*.sql))
# Update scripts: src/sql/updates/strata--A--B.sql.in with `--@include src/sql/<file>` lines for
# the files new since A (expanded here, so they are written once).
UPDATE_SRCS := $(wildcard src/sql/updates/strata--*--*.sql.in)
INSTALL_SQL = strata--$(EXTVERSION).sql
DATA_built = $(INSTALL_SQL) $(notdir $(UPDATE_SRCS:.sql.in=.sql))
# The optional strata_timescaledb_compat extension (TimescaleDB's view names), installed beside strata.
DATA      += $(wildcard compat/*.control compat/*--*.sql)

REGRESS      = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=strata $(EXTRA_REGRESS_OPTS)
ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=build/isolation --load-extension=strata $(EXTRA_REGRESS_OPTS)

PG_CPPFLAGS = -Isrc -Isrc/core
PG_CXXFLAGS = -std=c++20 -Werror -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -Wno-cast-function-type -Wno-register -fno-omit-frame-pointer
PG_CFLAGS   = -Werror
SHLIB_LINK  = -lzstd -lstdc++

# Our sources are C++20; PGXS's LLVM bitcode rules (for JIT inlining) would compile them with an
# older clang, so they are turned off.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Tests that write files (`\getenv tmpdir STRATA_REGRESS_TMP`) put them here under `make
# installcheck` (scripts/test.sh and test/flaky.sh give each test a directory of its own); the
# server writes them, so the directory is open to it.
STRATA_REGRESS_TMP ?= $(CURDIR)/build/regress/files
export STRATA_REGRESS_TMP
installcheck: regress-tmp
.PHONY: regress-tmp
regress-tmp:
	@mkdir -p '$(STRATA_REGRESS_TMP)' && chmod 777 '$(STRATA_REGRESS_TMP)'

# The install script is concatenated from src/sql/*.sql in name order.
$(INSTALL_SQL): $(SQL_SRCS) strata.control
	@echo "-- generated from src/sql/*.sql; edit those files, not this one" > $@
	@for f in $(SQL_SRCS); do echo "-- ---- $$f" >> $@; cat $$f >> $@; echo >> $@; done

strata--%--$(EXTVERSION).sql: src/sql/updates/strata--%--$(EXTVERSION).sql.in $(SQL_SRCS)
	@echo "-- generated from $<; edit that file, not this one" > $@
	@awk '/^--@include / { f = $$2; while ((getline line < f) > 0) print line; if (close(f) != 0) exit 1; next } { print }' $< >> $@

# Every object depends on every header: simple and always right for a project of this size.
HEADERS := $(wildcard src/*/*.hpp src/*/*.h src/core/*/*.hpp src/core/*.hpp)
$(OBJS): $(HEADERS)


# The compiler command for glue files, for scripts/check-boundary.sh (which compiles them to
# assembly with it).
print-cxx-command:
	@echo $(CXX) $(CXXFLAGS) $(CPPFLAGS)

# The Debian package postgresql-15-strata_<version>_<arch>.deb, in build/deb/ (scripts/make-deb.sh).
.PHONY: deb
deb:
	@bash scripts/make-deb.sh
