-- Grain: one row per record of the import being loaded that does not count, with the first
-- reason that applies (malformed, outside_window, unknown_region, below_min_steps) and the
-- region as written. Same-day repeats are decided later (tmp_losers). PostgreSQL: the known
-- spellings as an array parameter (a hashed = ANY is much cheaper per record than IN (subquery)).
CREATE TEMP TABLE tmp_steps_rejects AS
SELECT r.record_id AS record_id,
       CASE WHEN r.donated_at IS NULL THEN 'malformed'
            WHEN r.donated_at < :window_start_at OR r.donated_at >= :window_end_at THEN 'outside_window'
            WHEN NOT r.region = ANY(:spellings) THEN 'unknown_region'
            ELSE 'below_min_steps' END AS reason,
       r.region AS region
FROM step_records r
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND (r.donated_at IS NULL
       OR r.donated_at < :window_start_at OR r.donated_at >= :window_end_at
       OR NOT r.region = ANY(:spellings)
       OR r.steps < :min_steps)
