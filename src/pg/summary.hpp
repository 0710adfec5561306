// Summaries of long operations: drop_chunks, compress_chunk, decompress_chunk and a continuous
// aggregate's refresh end with a NOTICE saying what they did (chunks, rows, batches, bytes) when
// they took at least strata.summary_min_duration. Short operations stay quiet, so scripts and
// migrations that run many small ones are not flooded.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace strata::pg {

// Milliseconds; -1 never summarises, 0 summarises every operation.
extern int guc_summary_min_duration;

// When an operation starts (wall clock, not the transaction's start: a refresh spans
// transactions).
inline TimestampTz summary_start() { return GetCurrentTimestamp(); }

// Whether an operation that started at `started` has run long enough to be summarised.
bool summary_due(TimestampTz started);

// "12 MB", "640 kB": a byte count as pg_size_pretty writes it, palloc'd.
char* size_pretty(int64 bytes);

}  // namespace strata::pg
