-- Grain: one row: the first and last day index of valid records in the import being loaded.
SELECT MIN(idx) AS first_idx, MAX(idx) AS last_idx
FROM tmp_steps_changes
WHERE participant_id IS NULL
