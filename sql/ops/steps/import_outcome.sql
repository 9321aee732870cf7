-- ops: reads the import's outcome from step_rejects, grain: reason, own
-- Grain: one row per (reason, whose record) decided by the import being loaded: own = 1 for
-- its own records, 0 for earlier imports' records it superseded.
SELECT j.reason AS reason,
       CASE WHEN j.record_id >= :first_id THEN 1 ELSE 0 END AS own,
       COUNT(*) AS records
FROM step_rejects j
WHERE j.campaign = :campaign
  AND j.import_id = :import_id
GROUP BY j.reason, CASE WHEN j.record_id >= :first_id THEN 1 ELSE 0 END
