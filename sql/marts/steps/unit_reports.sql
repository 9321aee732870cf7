-- grain: unit_code
-- Grain: one row per member unit with accepted daily reports received by :as_of (the latest
-- version of each day's report): steps, participants (summed over days) and days reported.
SELECT d.unit AS unit_code,
       CAST(SUM(d.steps) AS BIGINT) AS steps,
       SUM(d.participants) AS participants,
       COUNT(*) AS days_reported
FROM daily_reports d
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = d.submission_id
WHERE c.report_type = 'daily_report'
GROUP BY d.unit
