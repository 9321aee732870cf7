-- grain: report_type, period_key, unit_code
-- Grain: one row per (report_type, period_key, unit_code) with any file received by :as_of:
-- when its first and latest valid files arrived (accepted and not voided by then), and how many
-- files were valid and rejected. Meeting a deadline is about the first valid file; a rejected
-- or voided file counts for nothing (a rejection is reported so people know the unit tried).
SELECT s.report_type AS report_type,
       s.period_key AS period_key,
       s.unit_code AS unit_code,
       MIN(CASE WHEN s.status = 'accepted' AND (s.voided_at IS NULL OR s.voided_at > :as_of)
                THEN s.received_at END) AS first_accepted_at,
       MAX(CASE WHEN s.status = 'accepted' AND (s.voided_at IS NULL OR s.voided_at > :as_of)
                THEN s.received_at END) AS last_accepted_at,
       COUNT(CASE WHEN s.status = 'accepted' AND (s.voided_at IS NULL OR s.voided_at > :as_of)
                  THEN 1 END) AS accepted_files,
       COUNT(CASE WHEN s.status = 'rejected' THEN 1 END) AS rejected_files
FROM submissions s
WHERE s.campaign = :campaign
  AND s.received_at <= :as_of
  AND s.unit_code IS NOT NULL
  AND s.report_type IS NOT NULL
GROUP BY s.report_type, s.period_key, s.unit_code
