// Plan layout of RowstoreAggregate (rowagg.hpp), shared by rowagg_plan.cpp and rowagg_exec.cpp.
// C-style glue.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "nodes/extensible.h"
}

namespace strata::columnstore {

namespace rowaggplan {
// custom_private = list_make2(list_make2_int(nspecs, max position), specs); custom_exprs = the
// constant arguments of time_bucket(). One spec (kRSpecFields ints) per output column, in the
// order of the node's target list; kind is an aggplan::SpecKind (kSpecValue, kSpecBucket,
// kSpecAgg), aggregates are aggplan::AggKind.
enum RSpec {
  kRSpecKind,
  kRSpecPos,         // the input value's position in the child's target list (0: count(*))
  kRSpecAggKind,
  kRSpecTypid,       // the input value's type
  kRSpecVarlen,      // kSpecValue: grouped by the bytes of a varlena (text, varchar, bytea)
  kRSpecResultType,  // kSpecBucket: the function's result type
  kRSpecFunc,        // kSpecBucket: the function
  kRSpecFirstConst,  //   index of its first constant argument in custom_exprs
  kRSpecNConsts,     //   and the number of constants (1 or 2)
  kRSpecFields
};
// A third element of custom_private when every qual of the child SeqScan bounds the chunk's time
// column (its attribute kRBoundsTimeAttno in the chunk) by a value known at executor start (`time
// >= cagg_watermark(...)`): kRBounds ints, then one btree strategy per qual (time on the left);
// custom_exprs holds, from the first index, the bounds, then the chunk's range start and end (int8
// Consts on the internal axis).
enum RBounds { kRBoundsFirstExpr, kRBoundsCount, kRBoundsTimeType, kRBoundsTimeAttno, kRBounds };
}  // namespace rowaggplan

extern const CustomScanMethods rowagg_scan_methods;

}  // namespace strata::columnstore
