-- grain: unit, report_date
-- Grain: one row per (unit, report_date) up to :through_date: the figures of the unit's
-- latest accepted daily report for that day received by :as_of.
SELECT d.unit AS unit,
       d.report_date AS report_date,
       CAST(SUM(d.participants) AS BIGINT) AS participants,
       CAST(SUM(d.steps) AS BIGINT) AS steps,
       CAST(SUM(COALESCE(d.photos, 0)) AS BIGINT) AS photos,
       CAST(SUM(COALESCE(d.videos, 0)) AS BIGINT) AS videos
FROM daily_reports d
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = d.submission_id
WHERE c.report_type = 'daily_report'
  AND d.report_date <= :through_date
GROUP BY d.unit, d.report_date
ORDER BY d.unit, d.report_date
