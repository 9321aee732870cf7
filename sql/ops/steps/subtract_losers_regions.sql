-- ops: writes tmp_steps_changes
-- Grain: one row per (region code, day index) with same-day repeats: negative changes that take
-- them out of the region's figures.
INSERT INTO tmp_steps_changes (participant_id, region, idx, mask, donations, steps, counted)
SELECT NULL, a.region_code, l.idx, NULL, -COUNT(*), -SUM(l.steps), -SUM(l.steps * l.factor)
FROM tmp_steps_losers l
JOIN step_region_aliases a ON a.campaign = :campaign AND a.spelling = l.region
GROUP BY a.region_code, l.idx
