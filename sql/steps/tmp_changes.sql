-- Grain: one row per participant (region, idx NULL) and one per (region as written, day index)
-- (participant_id NULL) over the valid records of the import being loaded, before same-day
-- repeats are taken out. mask: the participant's days as bits; counted: steps with double days
-- multiplied. Portable version: the day of a record from tmp_steps_days' UTC bounds.
CREATE TEMP TABLE tmp_steps_changes AS
SELECT r.participant_id AS participant_id,
       CAST(NULL AS VARCHAR(64)) AS region,
       CAST(NULL AS INTEGER) AS idx,
       SUM(DISTINCT CAST(1 AS BIGINT) << d.idx) AS mask,
       COUNT(*) AS donations,
       SUM(r.steps) AS steps,
       SUM(r.steps * d.factor) AS counted
FROM step_records r
JOIN tmp_steps_days d ON r.donated_at >= d.starts_at AND r.donated_at < d.ends_at
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.donated_at >= :window_start_at AND r.donated_at < :window_end_at
  AND r.steps >= :min_steps
  AND r.region IN (SELECT spelling FROM step_region_aliases)
GROUP BY r.participant_id
UNION ALL
SELECT NULL, r.region, d.idx, NULL, COUNT(*), SUM(r.steps), SUM(r.steps * d.factor)
FROM step_records r
JOIN tmp_steps_days d ON r.donated_at >= d.starts_at AND r.donated_at < d.ends_at
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.donated_at >= :window_start_at AND r.donated_at < :window_end_at
  AND r.steps >= :min_steps
  AND r.region IN (SELECT spelling FROM step_region_aliases)
GROUP BY r.region, d.idx
