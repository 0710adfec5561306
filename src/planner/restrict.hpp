// Time restrictions of a hypertable scan: which of its restriction clauses bound the time column,
// the interval set they allow at plan time (constants), and the clauses left for executor start
// (parameters, now() and other stable expressions).
#pragma once

#include "catalog/catalog.hpp"
#include "core/planner/time_set.hpp"

extern "C" {
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
}

namespace strata {

// A normalized set of closed intervals on the internal axis, palloc'd. `all` means unrestricted
// (iv is then unused).
struct TimeSet {
  bool all;
  int n;
  core::TimeInterval* iv;
};

TimeSet time_set_all();
TimeSet time_set_empty();
TimeSet time_set_intersect(TimeSet a, TimeSet b);
// The union of n sets, normalized once.
TimeSet time_set_union(const TimeSet* sets, int n);
bool time_set_overlaps(TimeSet s, int64 range_start, int64 range_end);

// A clause `time_col OP value` (or `time_col OP ANY/ALL (array)`) to evaluate at executor start,
// or, when it uses executor parameters (initplan results, outer references), each time the scan
// starts (again).
struct RuntimeClause {
  int strategy;     // btree strategy for `col OP value`
  bool is_array;    // value is an array: OP ANY (use_or) or OP ALL
  bool use_or;
  Oid value_type;   // element type for arrays
  Expr* value;      // no Vars, no sub-selects, no volatile functions
  bool exec_time;   // value uses PARAM_EXEC parameters
  // Space partitioning (space_runtime_clauses): `hash_col = value` or `hash_col = ANY (array)`,
  // strategy BTEqualStrategyNumber, on the hash dimension instead of time. hash_proc is the
  // extended hash function of value_type in the column's hash operator family (which hashes equal
  // values of its member types alike), hash_collation the column's collation. InvalidOid for a
  // clause on time.
  Oid hash_proc;
  Oid hash_collation;
};

struct TimeRestriction {
  TimeSet plan_set;  // what the constant clauses allow (and lower bounds that only grow: now())
  List* runtime;     // RuntimeClause*, conjunctive
};

// Syscache invalidation of pg_amop, pg_operator or pg_proc: forgets the operator facts that
// matching time clauses remembers (restrict.cpp).
void planner_op_cache_invalidated(int cache_id, uint32 hash_value);

// Analyzes rel->baserestrictinfo of the hypertable parent rel.
void time_restriction_analyze(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                              TimeRestriction* out);

// Whether expr is a call of _strata_internal.cagg_watermark(...) (a continuous aggregate's watermark).
bool is_cagg_watermark(Node* expr);

// A `time < cagg_watermark(...)` (or <=) restriction of a hypertable (the materialized side of a
// real-time continuous aggregate): the watermark's planning-time value, the clause, its strategy and
// the compared expression.
struct WatermarkBound {
  int64 value;
  Expr* clause;
  int strategy;
  Expr* expr;
};
// The first such restriction of the hypertable parent rel; false when none.
bool cagg_watermark_upper_bound(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, WatermarkBound* wm);
// The parent rel's restrictions without wm's clause (and its equals): a chunk whose range ends at or
// below wm.value satisfies it at every execution of the plan (the watermark never decreases), so
// its rel is built from this list (build_simple_rel translates each parent clause for the chunk:
// cheaper than translating the clause and dropping it afterwards). Another watermark's clause is
// kept: its value may be lower.
List* quals_without_watermark(RelOptInfo* rel, const WatermarkBound& wm);
// `runtime` (RuntimeClauses) without the one of wm's clause: when every chunk of the plan ends at or
// below wm.value, it excludes none of them at any later execution.
List* runtime_without_watermark(List* runtime, const WatermarkBound& wm);
// Whether `runtime` holds `time > cagg_watermark(...)` (or >=): the raw side of a real-time
// continuous aggregate.
bool has_cagg_watermark_lower_bound(List* runtime, const Hypertable* ht);

// Whether funcid is strata's time_bucket (planner.cpp; the answers are remembered).
bool is_strata_time_bucket_function(Oid funcid);

// Drops from a chunk's restrictions the constant comparisons of the time column that every value
// of its range [range_start, range_end) satisfies (translated_vars: the chunk's AppendRelInfo's),
// and those of a fixed-width time_bucket of it, e.g. `time_bucket('1 hour', time) >= C` that a
// query over a real-time aggregate pushes into the raw side (see clause_covers_range).
void drop_clauses_covering_chunk(RelOptInfo* child, const Hypertable* ht, int64 range_start,
                                 int64 range_end, List* translated_vars);
// The positions in the parent rel's restrictions of the clauses drop_clauses_covering_chunk drops
// from a chunk of [range_start, range_end) (nullptr when none).
// (cache: nullptr, or where the parent's clause bounds are kept for the next chunk of the same
// parent restrictions; *cache nullptr at first)
struct CoveringClauses;
Bitmapset* clauses_covering_chunk(RelOptInfo* parent, const Hypertable* ht, int64 range_start, int64 range_end,
                                  CoveringClauses** cache = nullptr);

// The join clauses `time_col OP expr(outer rels)` that a scan of rel parameterized by
// required_outer enforces, as RuntimeClauses evaluated each time the scan (re)starts (their outer
// Vars become nestloop parameters in the plan).
List* time_join_clauses(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                        Relids required_outer);

// The set allowed by `col OP value` for an evaluated value (NULL allows nothing).
TimeSet time_set_for_value(int strategy, bool is_array, bool use_or, Datum value, bool isnull,
                           Oid value_type, Oid column_type);

// Space partitioning: the chunks of `chunks` (ChunkInfo*) whose hash slice can hold rows that
// rel's restrictions allow: `col = const` and `col = ANY (const array)` on the hash column, with
// an equality of the column type's hash operator family, exclude every other slice. Order kept.
List* space_filter_chunks(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, List* chunks);

// Space partitioning: the same equalities with parameters, now() or other stable expressions as
// the value (what a generic plan has), as RuntimeClauses for ChunkAppend to exclude chunks of
// other hash slices with at executor start (or at each scan start for executor parameters).
List* space_runtime_clauses(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht);

// Whether `value` can be computed without a row of the scanned relation (Vars of `outer_relids`
// become executor parameters): no Vars, sub-selects or volatile functions. *exec_param is set when
// it needs executor parameters (known only once the node runs).
bool runtime_value_usable(Node* value, Relids outer_relids, bool* exec_param);

}  // namespace strata
