-- Grain: one row per distinct region spelling, in the records of the import being loaded,
-- that is not a known one. PostgreSQL: the known spellings as an array parameter.
SELECT DISTINCT r.region AS region
FROM step_records r
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND NOT r.region = ANY(:spellings)
