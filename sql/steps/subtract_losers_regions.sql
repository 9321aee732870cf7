-- Grain: one row per (region as written, day index) with same-day repeats: negative changes
-- that take them out of the region's figures.
INSERT INTO tmp_steps_changes (participant_id, region, idx, mask, donations, steps, counted)
SELECT NULL, region, idx, NULL, -COUNT(*), -SUM(steps), -SUM(steps * factor)
FROM tmp_steps_losers
GROUP BY region, idx
