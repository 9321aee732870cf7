-- ops: reads tmp_steps_problem, grain: one row
-- Grain: one row: how many participants have a counted record in the import being loaded on a
-- day already counted before it.
SELECT COUNT(*) AS participants
FROM tmp_steps_problem
