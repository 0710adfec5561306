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
bool guc_copy_typed_lines = true;

namespace {

enum FieldKind : uint8 { kInput, kFloat8, kInt2, kInt4, kInt8, kTimestampTz, kTimestamp, kText };
constexpr uint8 kForceNotNull = 1, kForceNull = 2;

// The date part (YYYY-MM-DD) of the last timestamp read and its day number since 2000-01-01.
struct DateCache {
  bool valid;
  char date[10];
  int64 days;
};

}  // namespace

struct CopyInput {
  int natts;
  uint8* kind;        // per attribute
  CopySplit* split;   // the line splitter (copy_split.hpp), or nullptr: PostgreSQL's
  int nread;          // the attributes read (cstate->attnumlist), in field order:
  int* readatt;       // each one's index
  uint8* force;       // each one's CSV FORCE_NOT_NULL (kForceNotNull) / FORCE_NULL (kForceNull)
  uint8* readkind;    // each one's kind
  // Typed lines (typed_line): every field read has a kind converted here, no FORCE option, and
  // the NULL marker is one the fields can be compared with as they lie in the buffer.
  bool typed;
  CopySplitSyntax syntax;
  int ntext;          // fields of kind kText
  bool null_first;    // the NULL marker is a plain form of a kind read: compared before converting
  DateCache dates;
};

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The parsers below read a value's plain form at s and return where it stops (the caller checks
// that the field ends there), or nullptr when the form is not theirs. They stop at the first byte
// that is not part of the form, so they never read past a field's terminator.

// A decimal [+-]digits[.digits] of at most 19 digits, 15 of them significant (the mantissa is
// below 10^15): the mantissa and the power of ten are exact doubles, so their quotient is the
// correctly rounded value, which is what strtod (float8in) returns.
const char* parse_float8(const char* s, double* out) {
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
  if (digits == 0 || digits > 19 || m >= 1000000000000000ULL) return nullptr;
  const double v = (double)m / kPow10[frac];
  *out = neg ? -v : v;
  return s;
}

// [+-]digits with at most `maxdigits` digits (so the value fits).
const char* parse_int(const char* s, int maxdigits, int64* out) {
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  int64 v = 0;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; ++s, ++digits) v = v * 10 + (*s - '0');
  if (digits == 0 || digits > maxdigits) return nullptr;
  *out = neg ? -v : v;
  return s;
}

inline bool digits(const char* s, int n, int* out) {
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
// `cache`: the date part of the last timestamp read and its day number (the same date again
// is compared, not parsed; only when the bytes before `lim` may be read); nullptr for none.
const char* parse_timestamp(const char* s, const char* lim, bool with_offset, DateCache* cache, int64* out) {
  int64 days;
  if (cache != nullptr && cache->valid && lim - s >= (long)sizeof(cache->date) &&
      memcmp(s, cache->date, sizeof(cache->date)) == 0) {
    days = cache->days;
  } else {
    int y, mo, d;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
      return nullptr;
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > day_tab[isleap(y) ? 1 : 0][mo - 1]) return nullptr;
    days = (int64)(date2j(y, mo, d) - POSTGRES_EPOCH_JDATE);
    if (cache != nullptr) {
      memcpy(cache->date, s, sizeof(cache->date));
      cache->days = days;
      cache->valid = true;
    }
  }
  int h, mi, sec;
  if ((s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
      s[16] != ':' || !digits(s + 17, 2, &sec))
    return nullptr;
  if (h > 23 || mi > 59 || sec > 59) return nullptr;
  s += 19;
  int64 usec = 0;
  if (*s == '.') {
    int n = 0;
    for (++s; *s >= '0' && *s <= '9'; ++s, ++n) {
      if (n == 6) return nullptr;  // rounding: the input function's
      usec = usec * 10 + (*s - '0');
    }
    if (n == 0) return nullptr;
    for (; n < 6; ++n) usec *= 10;
  }
  int64 offset = 0;  // seconds east of UTC
  if (with_offset) {
    if (*s != '+' && *s != '-') return nullptr;
    const bool west = *s == '-';
    int oh, om = 0;
    if (!digits(s + 1, 2, &oh) || oh > 15) return nullptr;
    s += 3;
    if (*s == ':') {
      if (!digits(s + 1, 2, &om) || om > 59) return nullptr;
      s += 3;
    }
    offset = (int64)(oh * 3600 + om * 60) * (west ? -1 : 1);
  }
  const int64 secs = ((days * 24 + h) * 60 + mi) * 60 + sec - offset;
  *out = secs * USECS_PER_SEC + usec;
  return s;
}

// The value of a field of a kind other than kText in its plain form at s, or nullptr; where the
// form stops. `lim` and `cache`: parse_timestamp's.
inline const char* convert_plain(uint8 kind, const char* s, const char* lim, DateCache* cache, Datum* out) {
  switch (kind) {
    case kFloat8: {
      double v = 0;
      const char* e = parse_float8(s, &v);
      *out = Float8GetDatum(v);
      return e;
    }
    case kInt2:
    case kInt4:
    case kInt8: {
      int64 v = 0;
      const char* e = parse_int(s, kind == kInt2 ? 4 : kind == kInt4 ? 9 : 18, &v);
      *out = kind == kInt2 ? Int16GetDatum((int16)v) : kind == kInt4 ? Int32GetDatum((int32)v) : Int64GetDatum(v);
      return e;
    }
    case kTimestampTz:
    case kTimestamp: {
      int64 v = 0;
      const char* e = parse_timestamp(s, lim, kind == kTimestampTz, cache, &v);
      *out = Int64GetDatum(v);
      return e;
    }
    default:
      return nullptr;
  }
}

// The field's value without the input function, or false. `len` is the field's length, or -1.
bool convert(uint8 kind, const char* s, int len, Datum* out) {
  if (kind == kText) {
    *out = PointerGetDatum(len >= 0 ? cstring_to_text_with_len(s, len) : cstring_to_text(s));
    return true;
  }
  // (`lim` is read only with a date cache, which is the typed lines')
  const char* e = convert_plain(kind, s, s, nullptr, out);
  return e != nullptr && *e == '\0';
}

// Whether the field at p (the line's terminator at eol) is the NULL marker as it lies in the buffer.
inline bool null_at(const CopySplitSyntax& x, const char* p, const char* eol) {
  if (eol - p < x.null_len || memcmp(p, x.null_print, x.null_len) != 0) return false;
  const char c = p[x.null_len];
  return c == x.delim || c == '\n' || c == '\r';
}

// A line read straight from PostgreSQL's input buffer, without splitting it first: each field
// converted where it lies, up to the delimiter or the line's terminator. Only the common line:
// every field NULL (the marker as it lies in the buffer), a plain form of its kind, or (kText) a
// run of bytes without the CSV quote or the text format's backslash; a line ending with the
// last field. Any other line (and the first line, the header, a line that crosses the buffer's
// end, a possible end-of-copy marker) is left as it was, false, for the splitter or PostgreSQL
// to read, so its values and errors are theirs. Writes values and nulls of the fields read
// (also when it gives up).
bool typed_line(CopyInput* in, CopyFromState cstate, Datum* values, bool* nulls) {
  const CopySplitSyntax& x = in->syntax;
  const char* line = cstate->input_buf + cstate->input_buf_index;
  const char* end = cstate->input_buf + cstate->input_buf_len;
  if (x.csv && *line == '\\') return false;
  // (the line's terminator lies in the buffer: every parser stops at it at the latest)
  const char* eol =
      static_cast<const char*>(memchr(line, cstate->eol_type == EOL_CR ? '\r' : '\n', end - line));
  if (eol == nullptr) return false;
  const char delim = x.delim;
  const int last = in->nread - 1;
  const char* p = line;
  // the line's text values, carved from one allocation (room for the line's bytes and each one's
  // header and alignment)
  char* arena = nullptr;
  for (int f = 0;; ++f) {
    const int m = in->readatt[f];
    const uint8 kind = in->readkind[f];
    const char* q;
    if (kind == kText) {
      q = copy_find_special(delim, x.special, p, end);
      if (*q == x.special) {
        // text format: the NULL marker \N
        if (!null_at(x, p, eol)) return false;
        q = p + x.null_len;
      } else if (q - p != x.null_len || (x.null_len > 0 && memcmp(p, x.null_print, x.null_len) != 0)) {
        const int len = static_cast<int>(q - p);
        if (arena == nullptr)
          arena = static_cast<char*>(palloc(static_cast<size_t>(eol - p) + in->ntext * (VARHDRSZ + MAXIMUM_ALIGNOF)));
        SET_VARSIZE(arena, len + VARHDRSZ);
        memcpy(VARDATA(arena), p, len);
        values[m] = PointerGetDatum(arena);
        nulls[m] = false;
        arena += MAXALIGN(len + VARHDRSZ);
      }
    } else if (in->null_first && null_at(x, p, eol)) {
      q = p + x.null_len;
    } else {
      q = convert_plain(kind, p, end, &in->dates, &values[m]);
      if (q != nullptr && (*q == delim || *q == '\n' || *q == '\r')) {
        nulls[m] = false;
      } else {
        if (in->null_first || !null_at(x, p, eol)) return false;
        q = p + x.null_len;
      }
    }
    if (*q == delim) {
      if (f == last) return false;  // extra data: PostgreSQL's error
      p = q + 1;
      continue;
    }
    if (f != last || (*q != '\n' && *q != '\r')) return false;
    const char* next = copy_line_end(cstate, q, end);
    if (next == nullptr) return false;
    copy_split_take_line(cstate, line, q, next);
    return true;
  }
}

// The defaults of the columns not read, as NextCopyFrom computes them (in the per-tuple context).
void read_defaults(CopyFromState cstate, ExprContext* econtext, Datum* values, bool* nulls) {
  for (int i = 0; i < cstate->num_defaults; i++)
    values[cstate->defmap[i]] = ExecEvalExpr(cstate->defexprs[i], econtext, &nulls[cstate->defmap[i]]);
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
  in->readkind = (uint8*)palloc0(in->nread + 1);
  in->typed = guc_copy_typed_lines && in->split != nullptr && in->nread > 0;
  int f = 0;
  ListCell* cur;
  foreach (cur, cstate->attnumlist) {
    const int m = lfirst_int(cur) - 1;
    in->readatt[f] = m;
    in->readkind[f] = in->kind[m];
    if (cstate->opts.csv_mode)
      in->force[f] = (cstate->opts.force_notnull_flags[m] ? kForceNotNull : 0) |
                     (cstate->opts.force_null_flags[m] ? kForceNull : 0);
    in->typed &= in->kind[m] != kInput && in->force[f] == 0;
    f++;
  }
  if (in->typed) {
    in->syntax = copy_split_syntax(in->split);
    // (text format: a NULL marker with a backslash is compared in the buffer only when it is the
    // splitter's kind, a backslash and one character that does not end the copy: \N)
    const CopySplitSyntax& x = in->syntax;
    for (int i = 0; i < in->nread; ++i) {
      in->ntext += in->readkind[i] == kText;
      Datum ignored;
      const char* e = in->readkind[i] == kText ? nullptr
                                                : convert_plain(in->readkind[i], x.null_print,
                                                                x.null_print + x.null_len + 1, nullptr, &ignored);
      in->null_first |= e != nullptr && *e == '\0';
    }
    // (the value parsers stop at the first byte outside a value's form and only then look for the
    // delimiter: a delimiter that can be part of a value, say a space between a timestamp's date and
    // time, would be read across, joining fields PostgreSQL keeps apart)
    if (isalnum(static_cast<unsigned char>(x.delim)) || strchr("+-.: ", x.delim) != nullptr) in->typed = false;
    if (!x.csv && memchr(x.null_print, '\\', x.null_len) != nullptr &&
        !(x.null_len == 2 && x.null_print[0] == '\\' && x.null_print[1] != '.'))
      in->typed = false;
  }
  return in;
}

// NextCopyFrom's text and CSV part (PostgreSQL 15's copyfromparse.c), with the fast conversions.
bool copy_input_next(CopyInput* in, CopyFromState cstate, ExprContext* econtext, Datum* values, bool* nulls) {
  TupleDesc desc = RelationGetDescr(cstate->rel);
  const int attr_count = in->nread;
  memset(values, 0, sizeof(Datum) * desc->natts);
  memset(nulls, true, sizeof(bool) * desc->natts);
  if (in->typed && copy_split_may_read(cstate)) {
    if (typed_line(in, cstate, values, nulls)) {
      read_defaults(cstate, econtext, values, nulls);
      return true;
    }
    memset(nulls, true, sizeof(bool) * desc->natts);
  }
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
  read_defaults(cstate, econtext, values, nulls);
  return true;
}

}  // namespace strata
