// Column statistics of a chunk computed from rows compress_chunk already holds in memory
// (docs/COLUMNSTORE.md, "Compressing a chunk"): a chunk compressed before it was ever analyzed
// needs pg_statistic rows of its own rows, and reading its heap a second time for ANALYZE cost as
// much as the compression itself (docs/BENCHMARKS.md, branch f-compress4). The statistics are
// those ANALYZE computes: each column's typanalyze function and its compute_stats over a sample
// of the rows (every row when there are at most as many as ANALYZE samples, in heap order, which
// is ANALYZE's own sample then), written to pg_statistic as ANALYZE writes them. C-style glue.
#pragma once

#include "pg/pg.hpp"

namespace strata::columnstore {

struct SampleStats;

// Setting strata.compression_statistics_from_rows (src/hooks/init.cpp).
extern bool guc_compression_statistics_from_rows;
// Setting strata.compression_statistics_presort: each column's values handed to the analysis
// already in the order it sorts them into (sample_stats.cpp).
extern bool guc_compression_statistics_presort;

// Prepares the statistics of `rel`'s columns; nullptr when ANALYZE itself must compute them (the
// setting is off, or the chunk has extended statistics or expression indexes, whose statistics
// ANALYZE computes from the same sample) or when no column is to be analyzed.
SampleStats* sample_stats_begin(Relation rel);

// How many rows the sample needs (ANALYZE's target: 300 times the largest statistics target).
int sample_stats_target_rows(const SampleStats* ss);

// Computes every column's statistics from `rows` (`nrows` of them, a uniform sample of the
// relation's `totalrows` live rows in heap order, or all of them) and writes them to pg_statistic,
// replacing any there, in steps; reports the analysis to the cumulative statistics as ANALYZE
// does. sample_stats_start takes the sample (the rows' HeapTupleData may go
// afterwards, their tuples must stay until sample_stats_end), each
// sample_stats_step computes and writes one column's statistics (false when none was left), and
// sample_stats_end does the rest and frees `ss`. compress_chunk runs the steps while its encoding
// thread is busy with a batch.
void sample_stats_start(SampleStats* ss, HeapTuple rows, int nrows, double totalrows);
bool sample_stats_step(SampleStats* ss);
void sample_stats_end(SampleStats* ss);

}  // namespace strata::columnstore
