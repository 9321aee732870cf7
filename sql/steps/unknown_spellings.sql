-- Grain: one row per distinct region spelling, in the records of the import being loaded,
-- that is not a known one.
SELECT DISTINCT r.region AS region
FROM step_records r
WHERE r.record_id BETWEEN :first_id AND :last_id
  AND r.region NOT IN (SELECT spelling FROM step_region_aliases)
