-- ops: creates temp table tmp_steps_candidates, grain: record_id
-- Grain: one row per counted record of a participant in tmp_steps_problem on one of their
-- overlap days: the import being loaded's first donation of that day and the one counted
-- before it (a record counts unless it has a row in step_rejects).
CREATE TEMP TABLE tmp_steps_candidates AS
SELECT r.record_id AS record_id,
       r.participant_id AS participant_id,
       r.donated_at AS donated_at,
       r.region AS region,
       d.idx AS idx,
       r.steps AS steps,
       d.factor AS factor
FROM step_records r
JOIN tmp_steps_problem p ON p.participant_id = r.participant_id
JOIN tmp_steps_days d ON r.donated_at >= d.starts_at AND r.donated_at < d.ends_at
WHERE r.campaign = :campaign
  AND (p.overlap >> d.idx) & 1 = 1
  AND NOT EXISTS (SELECT 1 FROM step_rejects j WHERE j.campaign = r.campaign AND j.record_id = r.record_id)
