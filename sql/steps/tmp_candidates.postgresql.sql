-- Grain: one row per valid record, in the import being loaded, of a participant with a
-- same-day repeat (tmp_steps_problem). PostgreSQL: the local day from the session time zone.
CREATE TEMP TABLE tmp_steps_candidates AS
SELECT r.record_id AS record_id,
       r.participant_id AS participant_id,
       r.donated_at AS donated_at,
       r.region AS region,
       r.donated_at::date - :start_date AS idx,
       r.steps AS steps,
       CASE WHEN (CAST(:double_mask AS BIGINT) >> (r.donated_at::date - :start_date)) & 1 = 1
            THEN :double_factor ELSE 1 END AS factor
FROM step_records r
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.donated_at >= :window_start_at AND r.donated_at < :window_end_at
  AND r.steps >= :min_steps
  AND r.region = ANY(:spellings)
  AND r.participant_id IN (SELECT participant_id FROM tmp_steps_problem)
