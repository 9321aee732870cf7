-- grain: report_type, unit
-- Grain: one row per (report_type, unit) whose latest submission received by :as_of was
-- rejected, with its errors (what the unit still has to fix).
SELECT s.report_type AS report_type,
       s.unit_code AS unit,
       s.filename AS filename,
       s.received_at AS received_at,
       s.errors AS errors
FROM submissions s
WHERE s.campaign = :campaign
  AND s.status = 'rejected'
  AND s.unit_code IS NOT NULL
  AND s.received_at <= :as_of
  AND NOT EXISTS (
      SELECT 1
      FROM submissions n
      WHERE n.campaign = s.campaign
        AND n.status IN ('accepted', 'rejected')
        AND n.received_at <= :as_of
        AND n.report_type = s.report_type
        AND n.unit_code = s.unit_code
        AND (n.received_at > s.received_at OR (n.received_at = s.received_at AND n.id > s.id))
  )
