-- Grain: one row per participant (region, idx NULL) and one per (region as written, day index)
-- (participant_id NULL) over the valid records of the import being loaded, before same-day
-- repeats are taken out. mask: the participant's days as bits; counted: steps with double days
-- multiplied. PostgreSQL: one scan, hash grouping sets; the session time zone is the
-- campaign's, so donated_at::date is the local day; the known spellings are an array parameter.
CREATE TEMP TABLE tmp_steps_changes AS
SELECT r.participant_id AS participant_id,
       r.region AS region,
       r.donated_at::date - :start_date AS idx,
       bit_or(CAST(1 AS BIGINT) << (r.donated_at::date - :start_date)) AS mask,
       COUNT(*) AS donations,
       SUM(r.steps) AS steps,
       SUM(r.steps * CASE WHEN (CAST(:double_mask AS BIGINT) >> (r.donated_at::date - :start_date)) & 1 = 1
                          THEN :double_factor ELSE 1 END) AS counted
FROM step_records r
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.donated_at >= :window_start_at AND r.donated_at < :window_end_at
  AND r.steps >= :min_steps
  AND r.region = ANY(:spellings)
GROUP BY GROUPING SETS ((r.participant_id), (r.region, r.donated_at::date - :start_date))
