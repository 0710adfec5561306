// Execution of GapFill (see gapfill.hpp): reads the aggregation's rows, sorted by the grouping
// columns and then the bucket, and emits them with a row added for every missing bucket of
// [start, finish) of each group.
#include <cmath>

#include "gapfill/gapfill.hpp"
#include "gapfill/node.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "nodes/extensible.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
}

namespace strata::gapfill {
namespace {

Node* create_gapfill_state(CustomScan* cscan);

// What the node is doing between calls.
enum class Mode {
  fetch,         // read the next row of the child
  fill_gap,      // add buckets before the pending row, then emit it
  fill_tail,     // add buckets up to finish for the group that just ended
  done,
};

struct GroupColumn {
  int pos;
  FmgrInfo eq;
  Oid collation;
};

struct LocfColumn {
  int pos;
  bool treat_null_as_missing;
  ExprState* prev;
  bool have_value;  // a value seen in this group (or prev evaluated)
  bool isnull;
  Datum value;      // copied into the node's memory
  bool typbyval;
  int16 typlen;
};

struct InterpColumn {
  int pos;
  Oid type;
  ExprState* prev;
  ExprState* next;
  bool have_prev;   // a point before the current position
  double prev_x, prev_y;
  bool next_done;   // next expression evaluated for this group
  bool have_next_expr;
  double next_x, next_y;
};

struct GapFillState {
  CustomScanState css;
  PlanState* child;
  Oid type;
  int bucket_col;
  bool has_timezone;
  bool finish_inclusive;
  int ngroups;
  GroupColumn* groups;
  int nlocf;
  LocfColumn* locf;
  int ninterp;
  InterpColumn* interp;
  ExprState* width_expr;
  ExprState* start_expr;
  ExprState* finish_expr;
  ExprState* timezone_expr;

  bool bounds_done;
  Datum width;     // copied into the node's memory
  Datum timezone;
  int64 start;     // first bucket
  int64 finish;
  bool fixed_step; // buckets advance by `step` on the internal axis
  int64 step;

  Mode mode;
  bool have_group;
  bool have_pending;     // the child's current row is still to be emitted
  bool any_row;
  int64 next;            // the next bucket the group should have
  int64 gap_end;         // fill_gap: the pending row's bucket
  bool exhausted;        // no bucket after `next` exists in the type's range
  TupleTableSlot* row;   // the child's current row
  TupleTableSlot* group_slot;  // a copy of the current group's first row
  MemoryContext query_cxt;  // the bounds, for the scan's lifetime
  MemoryContext value_cxt;  // locf values of the current group
};

// ---- The bucket axis: int2/int4/int8 values, dates in days, timestamps in microseconds.

int64 to_axis(Oid type, Datum d) {
  switch (type) {
    case INT2OID:
      return DatumGetInt16(d);
    case INT4OID:
      return DatumGetInt32(d);
    case DATEOID:
      return DatumGetDateADT(d);
    case INT8OID:
      return DatumGetInt64(d);
    default:
      return DatumGetTimestamp(d);
  }
}

Datum from_axis(Oid type, int64 v) {
  switch (type) {
    case INT2OID:
      return Int16GetDatum((int16)v);
    case INT4OID:
      return Int32GetDatum((int32)v);
    case DATEOID:
      return DateADTGetDatum((DateADT)v);
    case INT8OID:
      return Int64GetDatum(v);
    default:
      return TimestampGetDatum(v);
  }
}

int64 axis_bucket(GapFillState* s, int64 v) {
  return to_axis(s->type, bucket_of(s->type, s->width, from_axis(s->type, v), s->has_timezone, s->timezone));
}

bool axis_is_time(Oid type) { return type == TIMESTAMPOID || type == TIMESTAMPTZOID || type == DATEOID; }

// The bucket after `cur`; false when there is none (the end of the type's range).
bool advance(GapFillState* s, int64 cur, int64* out) {
  if (s->fixed_step) {
    int64 r;
    if (__builtin_add_overflow(cur, s->step, &r)) return false;
    if (s->type == INT2OID && r > PG_INT16_MAX) return false;
    if (s->type == INT4OID && r > PG_INT32_MAX) return false;
    if (s->type == DATEOID && !IS_VALID_DATE(r)) return false;
    if ((s->type == TIMESTAMPOID || s->type == TIMESTAMPTZOID) && !IS_VALID_TIMESTAMP(r)) return false;
    *out = r;
    return true;
  }
  // Calendar widths (months, or days in a time zone): add the width in the calendar, then take
  // the bucket of the result; step further if a DST change kept it in the same bucket.
  Interval* iv = DatumGetIntervalP(s->width);
  int64 probe = cur;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Timestamp t;
    if (s->type == DATEOID) {
      t = (Timestamp)probe * USECS_PER_DAY;
    } else {
      t = probe;
    }
    Datum added;
    if (s->has_timezone) {
      Datum local = DirectFunctionCall2(timestamptz_zone, s->timezone, TimestampTzGetDatum(t));
      Datum moved = DirectFunctionCall2(timestamp_pl_interval, local, IntervalPGetDatum(iv));
      added = DirectFunctionCall2(timestamp_zone, s->timezone, moved);
    } else {
      added = DirectFunctionCall2(timestamp_pl_interval, TimestampGetDatum(t), IntervalPGetDatum(iv));
    }
    Timestamp a = DatumGetTimestamp(added);
    if (TIMESTAMP_NOT_FINITE(a)) return false;
    int64 candidate = s->type == DATEOID ? (int64)(a / USECS_PER_DAY) : a;
    if (s->type == DATEOID && !IS_VALID_DATE(candidate)) return false;
    int64 b = axis_bucket(s, candidate);
    if (b > cur) {
      *out = b;
      return true;
    }
    probe = candidate + (s->type == DATEOID ? 1 : USECS_PER_HOUR);
  }
  return false;
}

bool before_finish(GapFillState* s, int64 b) {
  return !s->exhausted && (s->finish_inclusive ? b <= s->finish : b < s->finish);
}

// Moves `next` past bucket b.
void step_past(GapFillState* s, int64 b) {
  int64 after;
  if (advance(s, b, &after)) {
    s->next = after;
    s->exhausted = false;
  } else {
    s->exhausted = true;
  }
}

Datum eval_once(ExprState* es, ExprContext* econtext, bool* isnull) {
  return ExecEvalExprSwitchContext(es, econtext, isnull);
}

void evaluate_bounds(GapFillState* s) {
  ExprContext* econtext = s->css.ss.ps.ps_ExprContext;
  bool isnull;
  Datum width = eval_once(s->width_expr, econtext, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the bucket width of time_bucket_gapfill() is NULL")));
  const bool width_is_interval = axis_is_time(s->type);
  s->width = width;
  if (width_is_interval) {
    Interval* iv = (Interval*)MemoryContextAlloc(s->query_cxt, sizeof(Interval));
    *iv = *DatumGetIntervalP(width);
    s->width = IntervalPGetDatum(iv);
  }
  s->timezone = (Datum)0;
  if (s->has_timezone) {
    Datum tz = eval_once(s->timezone_expr, econtext, &isnull);
    if (isnull)
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the time zone of time_bucket_gapfill() is NULL")));
    MemoryContext old = MemoryContextSwitchTo(s->query_cxt);
    s->timezone = datumCopy(tz, false, -1);
    MemoryContextSwitchTo(old);
  }
  Datum start = eval_once(s->start_expr, econtext, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the start of the time_bucket_gapfill() range is NULL")));
  const int64 start_v = to_axis(s->type, start);
  Datum finish = eval_once(s->finish_expr, econtext, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the finish of the time_bucket_gapfill() range is NULL")));
  s->finish = to_axis(s->type, finish);
  if ((s->type == TIMESTAMPOID || s->type == TIMESTAMPTZOID) && (TIMESTAMP_NOT_FINITE(start_v) || TIMESTAMP_NOT_FINITE(s->finish)))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("the time_bucket_gapfill() range must be finite")));
  if (s->type == DATEOID && (DATE_NOT_FINITE((DateADT)start_v) || DATE_NOT_FINITE((DateADT)s->finish)))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("the time_bucket_gapfill() range must be finite")));
  s->start = axis_bucket(s, start_v);  // also validates the width

  s->fixed_step = false;
  if (!width_is_interval) {
    s->fixed_step = true;
    s->step = s->type == INT2OID ? DatumGetInt16(s->width)
              : s->type == INT4OID ? DatumGetInt32(s->width) : DatumGetInt64(s->width);
  } else {
    const Interval* iv = DatumGetIntervalP(s->width);
    if (iv->month == 0 && !s->has_timezone) {
      const int64 usec = iv->day * USECS_PER_DAY + iv->time;
      if (s->type == DATEOID) {
        if (usec % USECS_PER_DAY == 0) {
          s->fixed_step = true;
          s->step = usec / USECS_PER_DAY;
        }
      } else {
        s->fixed_step = true;
        s->step = usec;
      }
    }
  }
  if (s->fixed_step && s->step <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the bucket width of time_bucket_gapfill() must be positive")));
  s->bounds_done = true;
}

// ---- Groups.

bool same_group(GapFillState* s, TupleTableSlot* row) {
  for (int i = 0; i < s->ngroups; ++i) {
    const GroupColumn& g = s->groups[i];
    bool n1, n2;
    Datum a = slot_getattr(s->group_slot, g.pos + 1, &n1);
    Datum b = slot_getattr(row, g.pos + 1, &n2);
    if (n1 != n2) return false;
    if (n1) continue;
    if (!DatumGetBool(FunctionCall2Coll(const_cast<FmgrInfo*>(&g.eq), g.collation, a, b))) return false;
  }
  return true;
}

double numeric_of(Oid type, Datum d) {
  switch (type) {
    case INT2OID:
      return DatumGetInt16(d);
    case INT4OID:
      return DatumGetInt32(d);
    case INT8OID:
      return (double)DatumGetInt64(d);
    case FLOAT4OID:
      return DatumGetFloat4(d);
    default:
      return DatumGetFloat8(d);
  }
}

Datum datum_of(Oid type, double v) {
  switch (type) {
    case INT2OID: {
      const double r = std::round(v);
      if (r < PG_INT16_MIN || r > PG_INT16_MAX)
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("interpolated value out of range for smallint")));
      return Int16GetDatum((int16)r);
    }
    case INT4OID: {
      const double r = std::round(v);
      if (r < PG_INT32_MIN || r > PG_INT32_MAX)
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("interpolated value out of range for integer")));
      return Int32GetDatum((int32)r);
    }
    case INT8OID: {
      const double r = std::round(v);
      if (!(r >= -9.2233720368547758e18 && r < 9.2233720368547758e18))
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("interpolated value out of range for bigint")));
      return Int64GetDatum((int64)r);
    }
    case FLOAT4OID:
      return Float4GetDatum((float4)v);
    default:
      return Float8GetDatum(v);
  }
}

// Reads a (time, value) record given to interpolate() as prev or next; false when NULL.
bool read_point(GapFillState* s, ExprState* es, Oid value_type, double* x, double* y) {
  ExprContext* econtext = s->css.ss.ps.ps_ExprContext;
  econtext->ecxt_scantuple = s->group_slot;
  bool isnull;
  Datum d = eval_once(es, econtext, &isnull);
  if (isnull) return false;
  HeapTupleHeader rec = DatumGetHeapTupleHeader(d);
  TupleDesc desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec), HeapTupleHeaderGetTypMod(rec));
  if (desc->natts != 2 || TupleDescAttr(desc, 0)->atttypid != s->type || TupleDescAttr(desc, 1)->atttypid != value_type) {
    char* expected_time = format_type_be(s->type);
    char* expected_value = format_type_be(value_type);
    ReleaseTupleDesc(desc);
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("interpolate() prev and next must be records of (%s, %s)", expected_time, expected_value)));
  }
  HeapTupleData tuple;
  tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
  ItemPointerSetInvalid(&tuple.t_self);
  tuple.t_tableOid = InvalidOid;
  tuple.t_data = rec;
  bool xnull, ynull;
  Datum xd = heap_getattr(&tuple, 1, desc, &xnull);
  Datum yd = heap_getattr(&tuple, 2, desc, &ynull);
  ReleaseTupleDesc(desc);
  ResetExprContext(econtext);
  if (xnull || ynull) return false;
  *x = (double)to_axis(s->type, xd);
  *y = numeric_of(value_type, yd);
  return true;
}

void start_group(GapFillState* s, TupleTableSlot* row) {
  if (row != nullptr)
    ExecCopySlot(s->group_slot, row);
  else
    ExecStoreAllNullTuple(s->group_slot);
  s->have_group = true;
  s->next = s->start;
  s->exhausted = false;
  MemoryContextReset(s->value_cxt);
  for (int i = 0; i < s->nlocf; ++i) s->locf[i].have_value = false;
  for (int i = 0; i < s->ninterp; ++i) {
    s->interp[i].have_prev = false;
    s->interp[i].next_done = false;
  }
}

void remember_locf(GapFillState* s, LocfColumn* c, Datum v, bool isnull) {
  MemoryContext old = MemoryContextSwitchTo(s->value_cxt);
  if (c->have_value && !c->isnull && !c->typbyval) pfree(DatumGetPointer(c->value));
  c->isnull = isnull;
  c->value = isnull ? (Datum)0 : datumCopy(v, c->typbyval, c->typlen);
  c->have_value = true;
  MemoryContextSwitchTo(old);
}

// The locf value for a bucket before any row of the group: prev, evaluated once.
void locf_initial(GapFillState* s, LocfColumn* c) {
  if (c->have_value) return;
  ExprContext* econtext = s->css.ss.ps.ps_ExprContext;
  econtext->ecxt_scantuple = s->group_slot;
  bool isnull;
  Datum v = eval_once(c->prev, econtext, &isnull);
  remember_locf(s, c, v, isnull);
  ResetExprContext(econtext);
}

TupleTableSlot* project(GapFillState* s, TupleTableSlot* scan) {
  ProjectionInfo* proj = s->css.ss.ps.ps_ProjInfo;
  if (proj == nullptr) return scan;
  ExprContext* econtext = s->css.ss.ps.ps_ExprContext;
  ResetExprContext(econtext);
  econtext->ecxt_scantuple = scan;
  return ExecProject(proj);
}

// A real row of the child: locf columns remembered (or filled, treat_null_as_missing), the
// interpolation's previous point moved.
TupleTableSlot* emit_row(GapFillState* s, TupleTableSlot* row) {
  slot_getallattrs(row);
  TupleTableSlot* scan = s->css.ss.ss_ScanTupleSlot;
  ExecClearTuple(scan);
  const int natts = scan->tts_tupleDescriptor->natts;
  for (int i = 0; i < natts; ++i) {
    scan->tts_values[i] = row->tts_values[i];
    scan->tts_isnull[i] = row->tts_isnull[i];
  }
  const bool bucket_null = row->tts_isnull[s->bucket_col];
  const int64 b = bucket_null ? 0 : to_axis(s->type, row->tts_values[s->bucket_col]);
  for (int i = 0; i < s->nlocf; ++i) {
    LocfColumn* c = &s->locf[i];
    if (row->tts_isnull[c->pos] && c->treat_null_as_missing) {
      locf_initial(s, c);
      scan->tts_values[c->pos] = c->value;
      scan->tts_isnull[c->pos] = c->isnull;
    } else {
      remember_locf(s, c, row->tts_values[c->pos], row->tts_isnull[c->pos]);
      scan->tts_values[c->pos] = c->value;
    }
  }
  if (!bucket_null) {
    for (int i = 0; i < s->ninterp; ++i) {
      InterpColumn* c = &s->interp[i];
      if (row->tts_isnull[c->pos]) continue;
      c->have_prev = true;
      c->prev_x = (double)b;
      c->prev_y = numeric_of(c->type, row->tts_values[c->pos]);
    }
  }
  ExecStoreVirtualTuple(scan);
  return project(s, scan);
}

// A row for missing bucket b of the current group. `row` is the group's next real row (for
// interpolation), or null at the group's end.
TupleTableSlot* emit_fill(GapFillState* s, int64 b, TupleTableSlot* row) {
  TupleTableSlot* scan = s->css.ss.ss_ScanTupleSlot;
  ExecClearTuple(scan);
  const int natts = scan->tts_tupleDescriptor->natts;
  for (int i = 0; i < natts; ++i) {
    scan->tts_values[i] = (Datum)0;
    scan->tts_isnull[i] = true;
  }
  slot_getallattrs(s->group_slot);
  for (int i = 0; i < s->ngroups; ++i) {
    const int pos = s->groups[i].pos;
    scan->tts_values[pos] = s->group_slot->tts_values[pos];
    scan->tts_isnull[pos] = s->group_slot->tts_isnull[pos];
  }
  scan->tts_values[s->bucket_col] = from_axis(s->type, b);
  scan->tts_isnull[s->bucket_col] = false;
  for (int i = 0; i < s->nlocf; ++i) {
    LocfColumn* c = &s->locf[i];
    locf_initial(s, c);
    scan->tts_values[c->pos] = c->value;
    scan->tts_isnull[c->pos] = c->isnull;
  }
  for (int i = 0; i < s->ninterp; ++i) {
    InterpColumn* c = &s->interp[i];
    if (!c->have_prev) {
      double x, y;
      if (read_point(s, c->prev, c->type, &x, &y)) {
        c->have_prev = true;
        c->prev_x = x;
        c->prev_y = y;
      }
    }
    bool have_next = false;
    double nx = 0, ny = 0;
    if (row != nullptr) {
      bool isnull;
      Datum v = slot_getattr(row, c->pos + 1, &isnull);
      bool bnull;
      Datum bd = slot_getattr(row, s->bucket_col + 1, &bnull);
      if (!isnull && !bnull) {
        have_next = true;
        nx = (double)to_axis(s->type, bd);
        ny = numeric_of(c->type, v);
      }
    } else {
      if (!c->next_done) {
        c->have_next_expr = read_point(s, c->next, c->type, &c->next_x, &c->next_y);
        c->next_done = true;
      }
      have_next = c->have_next_expr;
      nx = c->next_x;
      ny = c->next_y;
    }
    if (c->have_prev && have_next && nx != c->prev_x) {
      const double v = c->prev_y + (ny - c->prev_y) * (((double)b - c->prev_x) / (nx - c->prev_x));
      scan->tts_values[c->pos] = datum_of(c->type, v);
      scan->tts_isnull[c->pos] = false;
    }
  }
  ExecStoreVirtualTuple(scan);
  return project(s, scan);
}

TupleTableSlot* exec_gapfill(CustomScanState* node) {
  GapFillState* s = (GapFillState*)node;
  if (!s->bounds_done) evaluate_bounds(s);
  for (;;) {
    switch (s->mode) {
      case Mode::done:
        return ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
      case Mode::fill_gap:
        if (s->next < s->gap_end && before_finish(s, s->next)) {
          const int64 b = s->next;
          step_past(s, b);
          return emit_fill(s, b, s->row);
        }
        // The gap is filled: the pending row.
        s->mode = Mode::fetch;
        s->have_pending = false;
        step_past(s, s->gap_end);
        return emit_row(s, s->row);
      case Mode::fill_tail:
        if (before_finish(s, s->next)) {
          const int64 b = s->next;
          step_past(s, b);
          return emit_fill(s, b, nullptr);
        }
        // The group is complete.
        s->have_group = false;
        if (!s->have_pending) {
          s->mode = Mode::done;
          continue;
        }
        start_group(s, s->row);
        s->mode = Mode::fetch;
        break;  // the pending row starts the next group: below
      case Mode::fetch: {
        TupleTableSlot* row = ExecProcNode(s->child);
        if (TupIsNull(row)) {
          if (!s->any_row && s->ngroups == 0) {
            // No rows at all and no grouping columns: the one group is all gap.
            s->any_row = true;
            start_group(s, nullptr);
          }
          s->have_pending = false;
          s->mode = s->have_group ? Mode::fill_tail : Mode::done;
          continue;
        }
        s->row = row;
        s->any_row = true;
        if (s->have_group && !same_group(s, row)) {
          s->have_pending = true;
          s->mode = Mode::fill_tail;
          continue;
        }
        if (!s->have_group) start_group(s, row);
        break;
      }
    }
    // s->row is the first or next row of the current group.
    bool bnull;
    Datum bd = slot_getattr(s->row, s->bucket_col + 1, &bnull);
    if (bnull) return emit_row(s, s->row);
    const int64 b = to_axis(s->type, bd);
    if (s->next < b && before_finish(s, s->next)) {
      s->gap_end = b;
      s->have_pending = true;
      s->mode = Mode::fill_gap;
      continue;
    }
    if (b >= s->next) step_past(s, b);
    s->mode = Mode::fetch;
    return emit_row(s, s->row);
  }
}

void begin_gapfill(CustomScanState* node, EState* estate, int eflags) {
  GapFillState* s = (GapFillState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* meta = (List*)linitial(cscan->custom_private);
  int k = 0;
  s->type = (Oid)list_nth_int(meta, k++);
  s->bucket_col = list_nth_int(meta, k++);
  s->has_timezone = list_nth_int(meta, k++) != 0;
  s->finish_inclusive = list_nth_int(meta, k++) != 0;
  s->ngroups = list_nth_int(meta, k++);
  s->groups = (GroupColumn*)palloc0(sizeof(GroupColumn) * (s->ngroups > 0 ? s->ngroups : 1));
  for (int i = 0; i < s->ngroups; ++i) {
    s->groups[i].pos = list_nth_int(meta, k++);
    fmgr_info((Oid)list_nth_int(meta, k++), &s->groups[i].eq);
    s->groups[i].collation = (Oid)list_nth_int(meta, k++);
  }
  TupleDesc scan_desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
  int e = kExprFirstColumn;
  s->nlocf = list_nth_int(meta, k++);
  s->locf = (LocfColumn*)palloc0(sizeof(LocfColumn) * (s->nlocf > 0 ? s->nlocf : 1));
  for (int i = 0; i < s->nlocf; ++i) {
    LocfColumn* c = &s->locf[i];
    c->pos = list_nth_int(meta, k++);
    c->treat_null_as_missing = list_nth_int(meta, k++) != 0;
    c->prev = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, e++), &node->ss.ps);
    Form_pg_attribute att = TupleDescAttr(scan_desc, c->pos);
    c->typbyval = att->attbyval;
    c->typlen = att->attlen;
  }
  s->ninterp = list_nth_int(meta, k++);
  s->interp = (InterpColumn*)palloc0(sizeof(InterpColumn) * (s->ninterp > 0 ? s->ninterp : 1));
  for (int i = 0; i < s->ninterp; ++i) {
    InterpColumn* c = &s->interp[i];
    c->pos = list_nth_int(meta, k++);
    c->type = TupleDescAttr(scan_desc, c->pos)->atttypid;
    c->prev = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, e++), &node->ss.ps);
    c->next = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, e++), &node->ss.ps);
  }
  s->width_expr = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, kExprWidth), &node->ss.ps);
  s->start_expr = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, kExprStart), &node->ss.ps);
  s->finish_expr = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, kExprFinish), &node->ss.ps);
  s->timezone_expr = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, kExprTimezone), &node->ss.ps);

  s->child = ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags);
  node->custom_ps = list_make1(s->child);
  s->group_slot = ExecAllocTableSlot(&estate->es_tupleTable, scan_desc, &TTSOpsMinimalTuple);
  s->query_cxt = CurrentMemoryContext;
  s->value_cxt = AllocSetContextCreate(CurrentMemoryContext, "GapFill values", ALLOCSET_SMALL_SIZES);
  s->bounds_done = false;
  s->mode = Mode::fetch;
  s->have_group = false;
  s->have_pending = false;
  s->any_row = false;
}

void end_gapfill(CustomScanState* node) {
  GapFillState* s = (GapFillState*)node;
  ExecEndNode(s->child);
}

void rescan_gapfill(CustomScanState* node) {
  GapFillState* s = (GapFillState*)node;
  if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(s->child, node->ss.ps.chgParam);
  if (s->child->chgParam == nullptr) ExecReScan(s->child);
  s->bounds_done = false;
  s->mode = Mode::fetch;
  s->have_group = false;
  s->have_pending = false;
  s->any_row = false;
}

const CustomExecMethods gapfill_exec_methods = {
    "GapFill",
    pg::guarded<begin_gapfill>,
    pg::guarded<exec_gapfill>,
    pg::guarded<end_gapfill>,
    pg::guarded<rescan_gapfill>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

Node* create_gapfill_state(CustomScan* cscan) {
  GapFillState* state = (GapFillState*)newNode(sizeof(GapFillState), T_CustomScanState);
  state->css.methods = &gapfill_exec_methods;
  return (Node*)state;
}

}  // namespace

const CustomScanMethods gapfill_scan_methods = {
    "GapFill",
    pg::guarded<create_gapfill_state>,
};

}  // namespace strata::gapfill
