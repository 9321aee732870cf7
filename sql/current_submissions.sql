-- Grain: one row per (report_type, unit_code, period_key): the latest accepted submission
-- received by :as_of. Replace-mode reports are read through this; append-mode reports
-- (events, videos, projects) read every accepted submission instead.
SELECT s.id AS submission_id,
       s.report_type AS report_type,
       s.unit_code AS unit_code,
       s.period AS period,
       s.period_key AS period_key,
       s.received_at AS received_at,
       s.timeliness AS timeliness,
       s.deadline_id AS deadline_id,
       s.version AS version
FROM submissions s
WHERE s.status = 'accepted'
  AND s.received_at <= :as_of
  AND NOT EXISTS (
      SELECT 1
      FROM submissions n
      WHERE n.status = 'accepted'
        AND n.received_at <= :as_of
        AND n.report_type = s.report_type
        AND n.unit_code = s.unit_code
        AND n.period_key = s.period_key
        AND (n.received_at > s.received_at OR (n.received_at = s.received_at AND n.version > s.version))
  )
