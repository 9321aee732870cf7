-- Grain: one row per distinct region spelling rejected as unknown in the import being loaded.
SELECT DISTINCT region AS region
FROM tmp_steps_rejects
WHERE reason = 'unknown_region'
