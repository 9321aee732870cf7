-- grain: report_type, unit_code, period_key
-- Grain: one row per (report_type, unit_code, period_key): the latest valid submission known
-- at :as_of (accepted, not voided). Replace-mode reports are read through this; append-mode
-- reports (events, videos, projects) read every valid submission instead.
SELECT s.submission_id AS submission_id,
       s.report_type AS report_type,
       s.unit_code AS unit_code,
       s.period AS period,
       s.period_key AS period_key,
       s.received_at AS received_at,
       s.timeliness AS timeliness,
       s.deadline_id AS deadline_id,
       s.version AS version
FROM {{ ref('staging/valid_submissions') }} s
WHERE NOT EXISTS (
      SELECT 1
      FROM {{ ref('staging/valid_submissions') }} n
      WHERE n.report_type = s.report_type
        AND n.unit_code = s.unit_code
        AND n.period_key = s.period_key
        AND (n.received_at > s.received_at OR (n.received_at = s.received_at AND n.version > s.version))
  )
