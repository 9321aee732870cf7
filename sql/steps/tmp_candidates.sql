-- Grain: one row per valid record, in the import being loaded, of a participant with a
-- same-day repeat (tmp_steps_problem).
CREATE TEMP TABLE tmp_steps_candidates AS
SELECT r.record_id AS record_id,
       r.participant_id AS participant_id,
       r.donated_at AS donated_at,
       r.region AS region,
       d.idx AS idx,
       r.steps AS steps,
       d.factor AS factor
FROM step_records r
JOIN tmp_steps_days d ON r.donated_at >= d.starts_at AND r.donated_at < d.ends_at
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.donated_at >= :window_start_at AND r.donated_at < :window_end_at
  AND r.steps >= :min_steps
  AND r.region IN (SELECT spelling FROM step_region_aliases)
  AND r.participant_id IN (SELECT participant_id FROM tmp_steps_problem)
