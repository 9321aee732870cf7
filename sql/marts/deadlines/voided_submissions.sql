-- grain: submission_id
-- Grain: one row per submission voided by :as_of (`insday void`): what it was and why.
SELECT s.id AS submission_id,
       s.report_type AS report_type,
       s.period_key AS period_key,
       s.unit_code AS unit_code,
       s.filename AS filename,
       s.received_at AS received_at,
       s.voided_at AS voided_at,
       s.void_reason AS void_reason
FROM submissions s
WHERE s.campaign = :campaign
  AND s.voided_at IS NOT NULL
  AND s.voided_at <= :as_of
ORDER BY s.voided_at, s.id
