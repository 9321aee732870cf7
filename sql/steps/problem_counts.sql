-- Grain: one row: how many participants have same-day repeats, and how many of them on days
-- counted before the import being loaded.
SELECT COUNT(*) AS participants,
       COALESCE(SUM(CASE WHEN overlap <> 0 THEN 1 ELSE 0 END), 0) AS overlapping
FROM tmp_steps_problem
