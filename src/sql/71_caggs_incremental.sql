-- Continuous aggregates, incremental maintenance from late rows (src/caggs/incremental.cpp).
-- Rows that INSERT or COPY write below an aggregate's invalidation threshold are aggregated at
-- the end of their transaction by the aggregate's own query into delta rows (one per bucket and
-- group, in the materialization's layout, each value in its type's binary send format; a catalog
-- row holds one as a one-dimensional array or several of one bucket as rows x columns). A refresh
-- adds them into the materialized rows of buckets that have no range invalidation, and discards
-- them where it recomputes the bucket from the raw rows.
CREATE TABLE _strata_catalog.continuous_agg_delta (
  mat_hypertable_id integer NOT NULL
                    REFERENCES _strata_catalog.continuous_agg(mat_hypertable_id) ON DELETE CASCADE,
  bucket            bigint NOT NULL,  -- the bucket's start on the internal time axis
  vals              bytea[] NOT NULL  -- the output columns of the aggregate's query, binary
);
CREATE INDEX continuous_agg_delta_idx ON _strata_catalog.continuous_agg_delta (mat_hypertable_id, bucket);
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.continuous_agg_delta', '');
