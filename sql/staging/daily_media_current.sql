-- grain: unit, path
-- Grain: one row per photo or video file sent with a unit's current daily report (its latest
-- accepted version received by :as_of) for :day.
SELECT c.unit_code AS unit,
       m.kind AS kind,
       m.path AS path,
       m.size AS size,
       m.sha256 AS sha256,
       m.archive_path AS archive_path,
       c.received_at AS received_at
FROM report_media m
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = m.submission_id
WHERE c.report_type = 'daily_report'
  AND c.period = :day
  AND m.campaign = :campaign
ORDER BY c.unit_code, m.kind, m.path, m.id
