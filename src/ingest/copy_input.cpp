// Faster text/CSV field conversion for COPY FROM into a hypertable (copy_input.hpp). C-style glue.
#include "ingest/copy_input.hpp"

#include "ingest/copy_split.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/rel.h"
}

namespace strata {

bool guc_copy_fast_input = true;

namespace {

enum FieldKind : uint8 { kInput, kFloat8, kInt2, kInt4, kInt8, kTimestampTz, kTimestamp, kText };
constexpr uint8 kForceNotNull = 1, kForceNull = 2;

}  // namespace

struct CopyInput {
  int natts;
  uint8* kind;        // per attribute
  CopySplit* split;   // the line splitter (copy_split.hpp), or nullptr: PostgreSQL's
  int nread;          // the attributes read (cstate->attnumlist), in field order:
  int* readatt;       // each one's index
  uint8* force;       // each one's CSV FORCE_NOT_NULL (kForceNotNull) / FORCE_NULL (kForceNull)
};

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A decimal [+-]digits[.digits] of at most 19 digits, 15 of them significant (the mantissa is
// below 10^15): the mantissa and the power of ten are exact doubles, so their quotient is the
// correctly rounded value, which is what strtod (float8in) returns.
bool parse_float8(const char* s, double* out) {
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  uint64 m = 0;
  const char* start = s;
  for (unsigned d; (d = (unsigned)(*s - '0')) < 10; ++s) m = m * 10 + d;
  long digits = s - start;
  long frac = 0;
  if (*s == '.') {
    const char* f = ++s;
    for (unsigned d; (d = (unsigned)(*s - '0')) < 10; ++s) m = m * 10 + d;
    frac = s - f;
    digits += frac;
  }
  // (at most 19 digits: m did not wrap; fewer than 10^15 means at most 15 significant digits)
  if (*s != '\0' || digits == 0 || digits > 19 || m >= 1000000000000000ULL) return false;
  const double v = (double)m / kPow10[frac];
  *out = neg ? -v : v;
  return true;
}

// [+-]digits with at most `maxdigits` digits (so the value fits).
bool parse_int(const char* s, int maxdigits, int64* out) {
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  int64 v = 0;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; ++s, ++digits) v = v * 10 + (*s - '0');
  if (*s != '\0' || digits == 0 || digits > maxdigits) return false;
  *out = neg ? -v : v;
  return true;
}

bool digits(const char* s, int n, int* out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// YYYY-MM-DD HH:MM:SS[.ffffff] (or a T between date and time), years 1000 to 9999, then, with
// `with_offset`, +HH or +HH:MM (or -), else nothing: microseconds since 2000-01-01 (UTC with an
// offset), as timestamptz_in / timestamp_in compute them. Anything else (24:00:00, leap
// seconds, zone names, no offset for timestamptz, ...) is left to the input function.
bool parse_timestamp(const char* s, bool with_offset, int64* out) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
      (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
      s[16] != ':' || !digits(s + 17, 2, &sec))
    return false;
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > day_tab[isleap(y) ? 1 : 0][mo - 1] || h > 23 || mi > 59 ||
      sec > 59)
    return false;
  s += 19;
  int64 usec = 0;
  if (*s == '.') {
    int n = 0;
    for (++s; *s >= '0' && *s <= '9'; ++s, ++n) {
      if (n == 6) return false;  // rounding: the input function's
      usec = usec * 10 + (*s - '0');
    }
    if (n == 0) return false;
    for (; n < 6; ++n) usec *= 10;
  }
  int64 offset = 0;  // seconds east of UTC
  if (with_offset) {
    if (*s != '+' && *s != '-') return false;
    const bool west = *s == '-';
    int oh, om = 0;
    if (!digits(s + 1, 2, &oh) || oh > 15) return false;
    s += 3;
    if (*s == ':') {
      if (!digits(s + 1, 2, &om) || om > 59) return false;
      s += 3;
    }
    offset = (int64)(oh * 3600 + om * 60) * (west ? -1 : 1);
  }
  if (*s != '\0') return false;
  const int64 days = (int64)(date2j(y, mo, d) - POSTGRES_EPOCH_JDATE);
  const int64 secs = ((days * 24 + h) * 60 + mi) * 60 + sec - offset;
  *out = secs * USECS_PER_SEC + usec;
  return true;
}

// The field's value without the input function, or false. `len` is the field's length, or -1.
bool convert(uint8 kind, const char* s, int len, Datum* out) {
  switch (kind) {
    case kFloat8: {
      double v;
      if (!parse_float8(s, &v)) return false;
      *out = Float8GetDatum(v);
      return true;
    }
    case kInt2:
    case kInt4:
    case kInt8: {
      int64 v;
      if (!parse_int(s, kind == kInt2 ? 4 : kind == kInt4 ? 9 : 18, &v)) return false;
      *out = kind == kInt2 ? Int16GetDatum((int16)v) : kind == kInt4 ? Int32GetDatum((int32)v) : Int64GetDatum(v);
      return true;
    }
    case kTimestampTz:
    case kTimestamp: {
      int64 v;
      if (!parse_timestamp(s, kind == kTimestampTz, &v)) return false;
      *out = Int64GetDatum(v);
      return true;
    }
    case kText:
      *out = PointerGetDatum(len >= 0 ? cstring_to_text_with_len(s, len) : cstring_to_text(s));
      return true;
    default:
      return false;
  }
}

}  // namespace

CopyInput* copy_input_begin(CopyFromState cstate) {
  if (cstate->opts.binary || cstate->convert_select_flags != nullptr) return nullptr;
  TupleDesc desc = RelationGetDescr(cstate->rel);
  auto* in = (CopyInput*)palloc0(sizeof(CopyInput));
  in->natts = desc->natts;
  in->kind = (uint8*)palloc0(desc->natts + 1);
  bool any = false;
  for (int a = 0; a < desc->natts; ++a) {
    Form_pg_attribute att = TupleDescAttr(desc, a);
    uint8 k = kInput;
    switch (att->atttypid) {
      case FLOAT8OID:
        k = kFloat8;
        break;
      case INT2OID:
        k = kInt2;
        break;
      case INT4OID:
        k = kInt4;
        break;
      case INT8OID:
        k = kInt8;
        break;
      case TIMESTAMPTZOID:
        k = att->atttypmod < 0 ? kTimestampTz : kInput;
        break;
      case TIMESTAMPOID:
        k = att->atttypmod < 0 ? kTimestamp : kInput;
        break;
      case TEXTOID:
        k = kText;
        break;
      default:
        break;
    }
    if (!guc_copy_fast_input) k = kInput;
    in->kind[a] = k;
    any |= k != kInput;
  }
  in->split = copy_split_begin(cstate);
  if (!any && in->split == nullptr) {
    pfree(in->kind);
    pfree(in);
    return nullptr;
  }
  in->nread = list_length(cstate->attnumlist);
  in->readatt = (int*)palloc0(sizeof(int) * (in->nread + 1));
  in->force = (uint8*)palloc0(in->nread + 1);
  int f = 0;
  ListCell* cur;
  foreach (cur, cstate->attnumlist) {
    const int m = lfirst_int(cur) - 1;
    in->readatt[f] = m;
    if (cstate->opts.csv_mode)
      in->force[f] = (cstate->opts.force_notnull_flags[m] ? kForceNotNull : 0) |
                     (cstate->opts.force_null_flags[m] ? kForceNull : 0);
    f++;
  }
  return in;
}

// NextCopyFrom's text and CSV part (PostgreSQL 15's copyfromparse.c), with the fast conversions.
bool copy_input_next(CopyInput* in, CopyFromState cstate, ExprContext* econtext, Datum* values, bool* nulls) {
  TupleDesc desc = RelationGetDescr(cstate->rel);
  const int attr_count = in->nread;
  memset(values, 0, sizeof(Datum) * desc->natts);
  memset(nulls, true, sizeof(bool) * desc->natts);
  char** fields;
  int* lengths = nullptr;
  int nfields;
  if (in->split != nullptr ? !copy_split_next(in->split, cstate, &fields, &lengths, &nfields)
                           : !NextCopyFromRawFields(cstate, &fields, &nfields))
    return false;
  if (attr_count > 0 && nfields > attr_count)
    ereport(ERROR, (errcode(ERRCODE_BAD_COPY_FILE_FORMAT), errmsg("extra data after last expected column")));
  for (int fieldno = 0; fieldno < attr_count; ++fieldno) {
    const int m = in->readatt[fieldno];
    if (fieldno >= nfields)
      ereport(ERROR, (errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
                      errmsg("missing data for column \"%s\"", NameStr(TupleDescAttr(desc, m)->attname))));
    int len = lengths != nullptr ? lengths[fieldno] : -1;
    char* string = fields[fieldno];
    if (in->force[fieldno] != 0) {
      if (string == nullptr && (in->force[fieldno] & kForceNotNull) != 0) {
        string = cstate->opts.null_print;
        len = -1;
      } else if (string != nullptr && (in->force[fieldno] & kForceNull) != 0 &&
                 strcmp(string, cstate->opts.null_print) == 0) {
        string = nullptr;
      }
    }
    const uint8 kind = in->kind[m];
    if (string != nullptr && kind != kInput && convert(kind, string, len, &values[m])) {
      nulls[m] = false;
      continue;
    }
    Form_pg_attribute att = TupleDescAttr(desc, m);
    cstate->cur_attname = NameStr(att->attname);
    cstate->cur_attval = string;
    values[m] = InputFunctionCall(&cstate->in_functions[m], string, cstate->typioparams[m], att->atttypmod);
    if (string != nullptr) nulls[m] = false;
    cstate->cur_attname = nullptr;
    cstate->cur_attval = nullptr;
  }
  // Defaults of the columns not read, as NextCopyFrom computes them (in the per-tuple context).
  for (int i = 0; i < cstate->num_defaults; i++)
    values[cstate->defmap[i]] = ExecEvalExpr(cstate->defexprs[i], econtext, &nulls[cstate->defmap[i]]);
  return true;
}

}  // namespace strata
