-- ops: writes tmp_steps_changes
-- Grain: one row per participant with same-day repeats: their counted steps leave the
-- import's changes.
UPDATE tmp_steps_changes
SET counted = tmp_steps_changes.counted - l.counted
FROM (SELECT participant_id, SUM(steps * factor) AS counted
      FROM tmp_steps_losers
      GROUP BY participant_id) l
WHERE l.participant_id = tmp_steps_changes.participant_id
