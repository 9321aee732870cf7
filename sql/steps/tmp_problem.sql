-- Grain: one row per participant with two valid records on one day in the import being loaded
-- (more records than days); overlap 0 (see add_overlap_problems).
CREATE TEMP TABLE tmp_steps_problem AS
SELECT c.participant_id AS participant_id,
       CAST(0 AS BIGINT) AS overlap
FROM tmp_steps_changes c
JOIN tmp_steps_mask_stats m ON m.mask = c.mask
WHERE c.participant_id IS NOT NULL
  AND c.donations > m.donations
