-- ops: creates temp table tmp_steps_problem, grain: participant_id
-- Grain: one row per participant with a counted record in the import being loaded on a day
-- already counted before it (late data, overlapping files); overlap: those days as bits.
CREATE TEMP TABLE tmp_steps_problem AS
SELECT c.participant_id AS participant_id,
       s.days_mask & c.mask AS overlap
FROM tmp_steps_changes c
JOIN step_participants s ON s.campaign = :campaign AND s.participant_id = c.participant_id
WHERE c.participant_id IS NOT NULL
  AND (s.days_mask & c.mask) <> 0
