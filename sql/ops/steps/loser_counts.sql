-- ops: reads tmp_steps_losers, grain: own
-- Grain: one row per whose same-day repeats the import being loaded decided against earlier
-- imports: own = 1 for its own records, 0 for earlier imports' records it superseded. (The
-- rejects the file decides on its own are counted by the client.)
SELECT CASE WHEN l.record_id >= :first_id THEN 1 ELSE 0 END AS own,
       COUNT(*) AS records
FROM tmp_steps_losers l
GROUP BY CASE WHEN l.record_id >= :first_id THEN 1 ELSE 0 END
