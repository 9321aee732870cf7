-- ops: writes step_region_days
-- Grain: one row per (region, day) whose counted records the import being loaded changed:
-- donations and steps (not doubled) it adds, net of same-day repeats it took out.
INSERT INTO step_region_days (campaign, import_id, region_code, day, donations, steps)
SELECT :campaign, :import_id, c.region, d.day, SUM(c.donations), SUM(c.steps)
FROM tmp_steps_changes c
JOIN tmp_steps_days d ON d.idx = c.idx
WHERE c.participant_id IS NULL
GROUP BY c.region, d.day
HAVING SUM(c.donations) <> 0 OR SUM(c.steps) <> 0
