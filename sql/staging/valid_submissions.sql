-- grain: submission_id
-- Grain: one row per submission that counts as known at :as_of: accepted by then and not voided
-- by then (`insday void`: a wrongly accepted file stops counting from the moment it is voided).
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
WHERE s.campaign = :campaign
  AND s.status = 'accepted'
  AND s.received_at <= :as_of
  AND (s.voided_at IS NULL OR s.voided_at > :as_of)
