// A faster line and field splitter for COPY FROM in text and CSV format (copy_split.cpp), used by
// copy_input.cpp for the rowstore COPY and the direct-to-columnstore COPY alike. It reads the
// lines that lie whole in PostgreSQL's input buffer (cstate->input_buf, already read, verified
// and, if needed, converted to the server encoding by PostgreSQL) and splits them into
// cstate->raw_fields exactly as NextCopyFromRawFields would; every other line (the header and
// the first line, which fixes the newline style, a line that crosses the buffer's end or the end
// of the input, the end-of-copy marker, a newline inside quotes, an escape that makes a non-ASCII
// byte, anything PostgreSQL would reject) goes to NextCopyFromRawFields itself, so its results,
// errors and line numbers are PostgreSQL's. C-style glue.
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/copyfrom_internal.h"
#include "lib/stringinfo.h"
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace strata {

struct CopySplit;

// Whether the setting allows it (strata.copy_fast_split) and the COPY is in text or CSV format
// with options the splitter knows; nullptr otherwise.
CopySplit* copy_split_begin(CopyFromState cstate);
// NextCopyFromRawFields's contract; with `lengths` the length of each field (not of NULL ones) is
// stored in (*lengths)[i], or *lengths is nullptr when PostgreSQL split the line.
bool copy_split_next(CopySplit* split, CopyFromState cstate, char*** fields, int** lengths, int* nfields);

// What a line parser outside the splitter needs of its syntax (copy_input.cpp's typed lines):
// the delimiter, the character that makes a line PostgreSQL's to split (CSV: the quote; text:
// backslash) and the NULL marker.
struct CopySplitSyntax {
  char delim;
  char special;
  bool csv;
  const char* null_print;
  int null_len;
};
CopySplitSyntax copy_split_syntax(const CopySplit* split);

// Whether the next line may be read from cstate->input_buf by the splitter (or a parser like it):
// the first line and the header, which fix the newline style, and an empty buffer are
// PostgreSQL's.
inline bool copy_split_may_read(CopyFromState cstate) {
  return cstate->cur_lineno > 0 && cstate->eol_type != EOL_UNKNOWN && cstate->input_buf_index < cstate->input_buf_len;
}
// The line [line, stop) read, its terminator ending at `next`: line_buf (for the error context),
// the buffer's position and the line number move on as CopyReadLine moves them.
inline void copy_split_take_line(CopyFromState cstate, const char* line, const char* stop, const char* next) {
  // The line without its terminator, for the error context (CopyFromErrorCallback).
  const int len = static_cast<int>(stop - line);
  StringInfo lb = &cstate->line_buf;
  resetStringInfo(lb);
  if (lb->maxlen <= len) enlargeStringInfo(lb, len);
  memcpy(lb->data, line, len);
  lb->data[len] = '\0';
  lb->len = len;
  cstate->line_buf_valid = true;
  cstate->input_buf_index = static_cast<int>(next - cstate->input_buf);
  cstate->cur_lineno++;
}

// The first byte at or after p (before end) that is `delim`, `special`, a newline or a carriage
// return; end when none.
inline const char* copy_find_special(char delim, char special, const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i d = _mm_set1_epi8(delim);
  const __m128i q = _mm_set1_epi8(special);
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, q)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, cr)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != delim && *p != special && *p != '\n' && *p != '\r') ++p;
  return p;
}

// At a newline or carriage return `p` outside quotes: where the next line starts, or nullptr when
// the terminator does not match the input's newline style (PostgreSQL's error) or the buffer ends
// before the terminator does.
inline const char* copy_line_end(CopyFromState cstate, const char* p, const char* end) {
  if (*p == '\n') return cstate->eol_type == EOL_NL ? p + 1 : nullptr;
  if (cstate->eol_type == EOL_CR) return p + 1;
  if (cstate->eol_type == EOL_CRNL && p + 1 < end && p[1] == '\n') return p + 2;
  return nullptr;
}

extern bool guc_copy_fast_split;

}  // namespace strata
