// Aggregation pushdown over compressed chunks (docs/COLUMNSTORE.md, "Aggregating compressed
// chunks"): count(*), count, sum, avg, min and max (also of numeric) grouped by nothing, by segmentby columns or by
// a time_bucket() (date_trunc(), date_bin()) of a column and by other (data) columns, computed on the decoded arrays of each batch (and from the batch
// metadata where that suffices) by the ColumnstoreAggregate custom scan, which emits PostgreSQL's
// partial aggregate states; PostgreSQL's Finalize Aggregate above an Append of one
// ColumnstoreAggregate per compressed chunk (plus a Partial Aggregate of each row part and of each
// uncompressed chunk) combines them. agg_plan.cpp plans it, agg_exec.cpp (with agg_hash.cpp) runs it. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
#include "optimizer/planner.h"
}

namespace strata::columnstore {

// Setting strata.enable_columnstore_agg_pushdown (registered by src/hooks/init.cpp).
extern bool guc_enable_columnstore_agg_pushdown;
// strata.enable_columnstore_agg_final (src/hooks/init.cpp).
extern bool guc_enable_columnstore_agg_final;

// create_upper_paths_hook handler (run by the hook dispatcher, src/hooks): at UPPERREL_GROUP_AGG
// over a hypertable with compressed chunks, adds a Finalize Aggregate path over an Append of
// per-chunk partial aggregations, the compressed parts by ColumnstoreAggregate.
void add_columnstore_agg_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                               RelOptInfo* output_rel, void* extra);

// Registers the custom scan methods; once, from _PG_init (through scan_init).
void agg_init();

// Plan layout shared by agg_plan.cpp and agg_exec.cpp.
namespace aggplan {
// custom_private = list_make2(meta, specs); custom_exprs = constant arguments of time_bucket().
// kFinal: the node emits final values of groups complete in its chunk (no Finalize Aggregate above).
enum Meta { kMetaOnly, kNSpecs, kFinal, kMetaLen };
// One spec (kSpecFields ints) per output column, in the order of the node's target list.
// kSpecValue: a grouping column that is a data column (grouped by its decoded values, hashed).
enum SpecKind { kSpecSegment = 0, kSpecBucket = 1, kSpecAgg = 2, kSpecValue = 3 };
enum Spec {
  kSpecKind,
  kSpecAttno,      // chunk attribute (group column, bucketed column, aggregate argument; 0 for count(*))
  kSpecAggKind,    // AggKind
  kSpecTypid,      // the argument's (or group column's) type
  kSpecCodec,      // its codec::ColumnType (data columns)
  kSpecCompAttno,  // segment columns: the companion column
  kSpecMinAttno,   // metadata columns in the companion (0 when none)
  kSpecMaxAttno,
  kSpecNullsAttno,
  kSpecUseMeta,    // answered from the batch metadata (no decoding)
  kSpecFunc,       // kSpecBucket: the function
  kSpecFirstConst, // kSpecBucket: index of its first constant argument in custom_exprs
  kSpecNConsts,    //   and the number of constants (1 or 2: width [, origin/offset])
  kSpecZone,       // kSpecBucket: BucketZone
  kSpecZoneMargin, //   and for kZoneSteady, seconds before a batch's min that must share its UTC offset
  kSpecRunConst,   //   and 1 + the index in custom_exprs of an int8 Const, the width of every bucket
                   //   in the column's units when each bucket is [start, start + width) (0: none)
  kSpecFields
};
// How a bucketing function depends on the session's TimeZone (date_trunc of a timestamptz does):
// not at all (monotonic); monotonic over a range without a UTC offset change (units below a day
// keep each value's own offset; a day up to a year go through local midnights, so the range
// reaches back by the unit and a day further on both sides: kSpecZoneMargin); or never taken as
// monotonic (decades and longer).
enum BucketZone { kZoneNone = 0, kZoneSteady = 1, kZoneAny = 2 };
enum AggKind {
  kCountStar,
  kCount,
  kSumInt,    // sum(int2), sum(int4): int8 state
  kSumInt8,   // sum(int8): serialized int128 state
  kAvgInt,    // avg(int2), avg(int4): int8[2] state
  kAvgInt8,   // avg(int8): serialized int128 state
  kSumFloat4,
  kSumFloat8,
  kAvgFloat,  // avg(float4), avg(float8): float8[3] state
  kMin,
  kMax,
  kSumNumeric,  // sum(numeric), avg(numeric): serialized NumericAggState (numeric_avg_serialize's form)
  kAvgNumeric
};

// Planning helpers shared by agg_plan.cpp and rowagg_plan.cpp (defined in agg_common.cpp).
// `n` (under any RelabelTypes) as a Var of a user column of relation `relid`, or nullptr.
Var* plain_var(Node* n, Index relid);
// strata's time_bucket(width, col [, origin / offset]) with constant width and origin / offset.
bool is_time_bucket(FuncExpr* f);
// A bucketing of a column that ColumnstoreAggregate groups by: is_time_bucket, PostgreSQL's
// date_trunc(const unit, timestamp or timestamptz column) with a unit it accepts, and
// date_bin(const stride, timestamp or timestamptz column, const origin) with a stride it accepts
// (so that computing it never raises an error PostgreSQL's own plan would not). Its BucketZone
// in *zone and its width in microseconds (for estimates; months count 30 days, 0 when not
// known) in *width.
bool is_bucket_function(FuncExpr* f, int* zone, int64* width);
// Whether GROUP BY compares the grouping column `sgref` with its type's default equality (the one
// native grouping implements).
bool default_equality(PlannerInfo* root, Expr* expr, Index sgref);
// An aggregate call without FILTER, DISTINCT, ORDER BY, VARIADIC, outer references or a
// non-normal kind (ordered-set, hypothetical): the only ones computed natively.
bool plain_aggref(const Aggref* a);
// The AggKind of aggregate function `fnoid`, or -1 when it is not computed natively; `rowstore`:
// for the rowstore aggregation, which has neither the float sums and averages nor numeric.
int agg_kind(Oid fnoid, bool rowstore);
// The aggregation node's CustomScan over its one child `child`: it projects nothing (its scan
// target list is a copy of `tlist`), its constants in custom_exprs (a copy of `consts`), `priv`
// its custom_private.
CustomScan* agg_custom_scan(CustomPath* best_path, List* tlist, Plan* child, List* consts, List* priv,
                            const CustomScanMethods* methods);
}  // namespace aggplan

// Executor side (agg_exec.cpp).
Node* agg_create_state(CustomScan* cscan);
extern const CustomScanMethods agg_scan_methods;

}  // namespace strata::columnstore
