-- devops workload, columnstore target: the compression settings TSBS uses for TimescaleDB (one
-- segment per host, newest rows first). The harness then compresses every chunk.
ALTER TABLE cpu SET (timescaledb.compress, timescaledb.compress_segmentby = 'hostname',
                     timescaledb.compress_orderby = 'time DESC');
