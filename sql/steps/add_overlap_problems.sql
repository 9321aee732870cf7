-- Grain: one row per participant with a valid record in the import being loaded on a day
-- already counted before it; overlap: those days as bits. (Only run when the import has days
-- that earlier imports had.)
INSERT INTO tmp_steps_problem (participant_id, overlap)
SELECT c.participant_id, s.days_mask & c.mask
FROM tmp_steps_changes c
JOIN step_participants s ON s.participant_id = c.participant_id
WHERE c.participant_id IS NOT NULL
  AND (s.days_mask & c.mask) <> 0
