-- grain: response_id
-- Grain: one row per survey response in the latest accepted survey export received by
-- :as_of (replace mode: each export holds every response so far). Every column of the row:
-- the questions are the ones campaign.yaml names (survey.questions), not listed here.
SELECT r.*
FROM survey_rows r
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = r.submission_id
WHERE c.report_type = 'survey'
ORDER BY r.company, r.response_id
