-- Grain: one row per record of the import being loaded that does not count (tmp_steps_rejects).
INSERT INTO step_rejects (record_id, import_id, reason)
SELECT record_id, :import_id, reason
FROM tmp_steps_rejects
