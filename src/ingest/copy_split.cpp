// A faster line and field splitter for COPY FROM in text and CSV format (copy_split.hpp).
// C-style glue.
//
// PostgreSQL (copyfromparse.c) reads each line twice: CopyReadLineText copies it byte by byte
// from input_buf into line_buf, looking for the newline (quotes, escapes and the end-of-copy
// marker taken into account), then CopyReadAttributesText/CSV copies it again byte by byte into
// attribute_buf, splitting and de-escaping. Here a line that lies whole in input_buf is read once:
// a 16-byte-wide search for the next delimiter, newline or quote/backslash finds its fields; a
// line without quotes (CSV) or backslashes other than the NULL marker (text) is copied once into
// attribute_buf with a NUL at each field's end, and once into line_buf for the error context.
// A line with quotes or escapes is split by a byte loop with PostgreSQL's rules. The split never
// raises an error: on anything it does not handle, or that PostgreSQL would reject, it leaves
// input_buf as it found it and calls NextCopyFromRawFields, which reads the same line again.
#include "ingest/copy_split.hpp"

extern "C" {
#include "commands/copy.h"
#include "lib/stringinfo.h"
}


namespace strata {

bool guc_copy_fast_split = true;

struct CopySplit {
  bool csv;
  char delim;
  char special;  // CSV: the quote character; text: backslash
  char quote;
  char escape;
  const char* null_print;
  int null_len;
  bool null_escape;  // text: the NULL marker is a backslash and one character that does not end the copy (\N)
  int max_lengths;
  int* lengths;
  int* ends;  // split_plain's field ends, offsets in the line
};

namespace {

// Result of splitting one line.
enum SplitResult { kSplitDone, kSplitGeneral, kSplitFallback };

inline bool is_null(const CopySplit* s, const char* p, int len) {
  return len == s->null_len && memcmp(p, s->null_print, len) == 0;
}

// Room for `n` field pointers and lengths.
void reserve_fields(CopySplit* s, CopyFromState cstate, int n) {
  if (n > cstate->max_fields) {
    while (cstate->max_fields < n) cstate->max_fields *= 2;
    cstate->raw_fields = static_cast<char**>(repalloc(cstate->raw_fields, cstate->max_fields * sizeof(char*)));
  }
  if (n > s->max_lengths) {
    s->max_lengths = cstate->max_fields;
    s->lengths = static_cast<int*>(repalloc(s->lengths, s->max_lengths * sizeof(int)));
    s->ends = static_cast<int*>(repalloc(s->ends, s->max_lengths * sizeof(int)));
  }
}

// The common line: no quote (CSV) and no backslash outside the NULL marker (text). Copies the
// line into attribute_buf, a NUL at the end of each field. kSplitGeneral when it meets a quote or
// an escape, kSplitFallback when PostgreSQL must read the line.
SplitResult split_plain(CopySplit* s, CopyFromState cstate, const char* line, const char* end, const char** stop,
                        const char** next, int* nfields) {
  const char* p = line;
  int nf = 0;
  int* starts = s->lengths;  // start offsets first, lengths at the end
  int* ends = s->ends;
  // (nf < max_fields: a line with more fields than columns goes to PostgreSQL, which raises the error)
  const int max = cstate->max_fields;
  for (;;) {
    const char* f = p;
    const char* q = copy_find_special(s->delim, s->special, p, end);
    if (q == end) return kSplitFallback;
    if (*q == s->special) {
      // text: "\N" (the default NULL marker) alone in its field stays on this path
      if (!s->null_escape || q != f || end - q <= s->null_len || !is_null(s, q, s->null_len)) return kSplitGeneral;
      const char after = q[s->null_len];
      if (after != s->delim && after != '\n' && after != '\r') return kSplitGeneral;
      q += s->null_len;
    }
    if (nf == max) return kSplitFallback;
    starts[nf] = static_cast<int>(f - line);
    ends[nf] = static_cast<int>(q - line);
    ++nf;
    if (*q == s->delim) {
      p = q + 1;
      continue;
    }
    *next = copy_line_end(cstate, q, end);
    if (*next == nullptr) return kSplitFallback;
    *stop = q;
    break;
  }
  const int len = ends[nf - 1];
  StringInfo ab = &cstate->attribute_buf;
  char* out = ab->data;
  char** fields = cstate->raw_fields;
  memcpy(out, line, len);
  for (int i = 0; i < nf; i++) {
    const int start = starts[i];
    const int flen = ends[i] - start;
    out[ends[i]] = '\0';
    s->lengths[i] = flen;
    fields[i] = is_null(s, line + start, flen) ? nullptr : out + start;
  }
  ab->len = len;
  *nfields = nf;
  return kSplitDone;
}

// A CSV line with quotes: CopyReadAttributesCSV's rules, and CopyReadLineText's for where the line
// ends (a newline or carriage return outside quotes; inside quotes it would continue the line:
// PostgreSQL's, as is a line starting with a backslash, a possible end-of-copy marker).
SplitResult split_csv(CopySplit* s, CopyFromState cstate, const char* line, const char* end, const char** stop,
                      const char** next, int* nfields) {
  const char* p = line;
  char* out = cstate->attribute_buf.data;
  const char delim = s->delim, quote = s->quote, escape = s->escape;
  int nf = 0;
  const int max = cstate->max_fields;
  for (;;) {
    if (nf == max) return kSplitFallback;
    char* fout = out;
    const char* f = p;
    bool saw_quote = false;
    char c;
    for (;;) {
      if (p >= end) return kSplitFallback;
      c = *p;
      if (c == delim || c == '\n' || c == '\r') break;
      ++p;
      if (c != quote) {
        *out++ = c;
        continue;
      }
      saw_quote = true;
      for (;;) {
        if (p >= end) return kSplitFallback;
        c = *p++;
        if (c == '\n' || c == '\r') return kSplitFallback;
        if (c == escape && p < end && (*p == escape || *p == quote)) {
          *out++ = *p++;
          continue;
        }
        if (c == quote) break;
        *out++ = c;
      }
    }
    *out++ = '\0';
    const int flen = static_cast<int>(out - fout) - 1;
    s->lengths[nf] = flen;
    cstate->raw_fields[nf++] = !saw_quote && is_null(s, f, static_cast<int>(p - f)) ? nullptr : fout;
    if (c == delim) {
      ++p;
      continue;
    }
    *next = copy_line_end(cstate, p, end);
    if (*next == nullptr) return kSplitFallback;
    *stop = p;
    break;
  }
  cstate->attribute_buf.len = static_cast<int>(out - cstate->attribute_buf.data) - 1;
  *nfields = nf;
  return kSplitDone;
}

inline int hex_value(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

inline bool is_hex(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

// A text line with escapes: CopyReadAttributesText's rules. PostgreSQL's: a backslash before a
// period (the end-of-copy marker, or its corruption), a newline or a carriage return (the line
// continues, or the newline style is wrong), and an escape that makes a NUL or a non-ASCII byte
// (checked against the encoding).
SplitResult split_text(CopySplit* s, CopyFromState cstate, const char* line, const char* end, const char** stop,
                       const char** next, int* nfields) {
  const char* p = line;
  char* out = cstate->attribute_buf.data;
  const char delim = s->delim;
  int nf = 0;
  const int max = cstate->max_fields;
  for (;;) {
    if (nf == max) return kSplitFallback;
    char* fout = out;
    const char* f = p;
    char c;
    for (;;) {
      if (p >= end) return kSplitFallback;
      c = *p;
      if (c == delim || c == '\n' || c == '\r') break;
      ++p;
      if (c == '\\') {
        if (p >= end) return kSplitFallback;
        c = *p++;
        switch (c) {
          case '.':
          case '\n':
          case '\r':
            return kSplitFallback;
          case '0':
          case '1':
          case '2':
          case '3':
          case '4':
          case '5':
          case '6':
          case '7': {
            int val = c - '0';
            // (the line's terminator is no octal digit: looking past it changes nothing)
            for (int i = 0; i < 2 && p < end && *p >= '0' && *p <= '7'; i++) val = (val << 3) + (*p++ - '0');
            if (p >= end) return kSplitFallback;
            c = static_cast<char>(val & 0377);
            if (c == '\0' || IS_HIGHBIT_SET(c)) return kSplitFallback;
            break;
          }
          case 'x':
            if (p >= end) return kSplitFallback;
            if (is_hex(*p)) {
              int val = hex_value(*p++);
              if (p >= end) return kSplitFallback;
              if (is_hex(*p)) val = (val << 4) + hex_value(*p++);
              c = static_cast<char>(val & 0xff);
              if (c == '\0' || IS_HIGHBIT_SET(c)) return kSplitFallback;
            }
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'n':
            c = '\n';
            break;
          case 'r':
            c = '\r';
            break;
          case 't':
            c = '\t';
            break;
          case 'v':
            c = '\v';
            break;
          default:
            break;  // the character itself
        }
      }
      *out++ = c;
    }
    *out++ = '\0';
    const int flen = static_cast<int>(out - fout) - 1;
    s->lengths[nf] = flen;
    cstate->raw_fields[nf++] = is_null(s, f, static_cast<int>(p - f)) ? nullptr : fout;
    if (c == delim) {
      ++p;
      continue;
    }
    *next = copy_line_end(cstate, p, end);
    if (*next == nullptr) return kSplitFallback;
    *stop = p;
    break;
  }
  cstate->attribute_buf.len = static_cast<int>(out - cstate->attribute_buf.data) - 1;
  *nfields = nf;
  return kSplitDone;
}

}  // namespace

CopySplitSyntax copy_split_syntax(const CopySplit* s) {
  return CopySplitSyntax{s->delim, s->special, s->csv, s->null_print, s->null_len};
}

CopySplit* copy_split_begin(CopyFromState cstate) {
  const CopyFormatOptions* o = &cstate->opts;
  if (!guc_copy_fast_split || o->binary || cstate->max_fields <= 0 || o->delim == nullptr || strlen(o->delim) != 1)
    return nullptr;
  auto* s = static_cast<CopySplit*>(palloc0(sizeof(CopySplit)));
  s->csv = o->csv_mode;
  s->delim = o->delim[0];
  if (s->csv) {
    if (o->quote == nullptr || o->escape == nullptr || strlen(o->quote) != 1 || strlen(o->escape) != 1) return nullptr;
    s->quote = o->quote[0];
    s->escape = o->escape[0];
    s->special = s->quote;
  } else {
    s->special = '\\';
  }
  // (PostgreSQL refuses these; a splitter that is not sure leaves the COPY to it)
  const char chars[] = {s->delim, s->quote, s->escape};
  for (char c : chars)
    if (c == '\n' || c == '\r') return nullptr;
  if (s->csv && s->delim == s->quote) return nullptr;
  s->null_print = o->null_print;
  s->null_len = o->null_print_len;
  s->null_escape = !s->csv && s->null_len == 2 && s->null_print[0] == '\\' && s->null_print[1] != '.';
  s->max_lengths = cstate->max_fields;
  s->lengths = static_cast<int*>(palloc(s->max_lengths * sizeof(int)));
  s->ends = static_cast<int*>(palloc(s->max_lengths * sizeof(int)));
  return s;
}

bool copy_split_next(CopySplit* s, CopyFromState cstate, char*** fields, int** lengths, int* nfields) {
  // The first line (and the header) fix the newline style: PostgreSQL's.
  if (copy_split_may_read(cstate)) {
    const char* line = cstate->input_buf + cstate->input_buf_index;
    const char* end = cstate->input_buf + cstate->input_buf_len;
    // (the fields are no longer than what is left in the buffer)
    StringInfo ab = &cstate->attribute_buf;
    resetStringInfo(ab);
    if (ab->maxlen <= static_cast<int>(end - line) + 1) enlargeStringInfo(ab, static_cast<int>(end - line) + 1);
    reserve_fields(s, cstate, cstate->max_fields);
    const char* stop = nullptr;
    const char* next = nullptr;
    int nf = 0;
    // (CSV: a line starting with a backslash may be the end-of-copy marker)
    SplitResult r = s->csv && *line == '\\' ? kSplitFallback : split_plain(s, cstate, line, end, &stop, &next, &nf);
    if (r == kSplitGeneral)
      r = s->csv ? split_csv(s, cstate, line, end, &stop, &next, &nf)
                 : split_text(s, cstate, line, end, &stop, &next, &nf);
    if (r == kSplitDone) {
      copy_split_take_line(cstate, line, stop, next);
      *fields = cstate->raw_fields;
      *lengths = s->lengths;
      *nfields = nf;
      return true;
    }
  }
  *lengths = nullptr;
  return NextCopyFromRawFields(cstate, fields, nfields);
}

}  // namespace strata
