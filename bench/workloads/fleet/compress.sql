-- fleet workload, columnstore target: one segment per account, batches ordered by time then
-- device, and a bloom filter on device_id so that a one-device lookup decodes only the batches
-- that may hold the device. The harness then compresses every chunk.
ALTER TABLE device_state SET (timescaledb.compress, timescaledb.compress_segmentby = 'account_id',
                              timescaledb.compress_orderby = '"timestamp", device_id',
                              timescaledb.compress_index = 'bloom(device_id)');
