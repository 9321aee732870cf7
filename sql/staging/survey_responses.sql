-- grain: response_id
-- Grain: one row per survey response in the latest accepted survey export received by
-- :as_of (replace mode: each export holds every response so far).
SELECT r.response_id AS response_id,
       r.submitted_at AS submitted_at,
       r.company AS company,
       r.q_claims AS q_claims,
       r.q_sales AS q_sales,
       r.q_counter AS q_counter,
       r.q_phone AS q_phone,
       r.q_overall AS q_overall,
       r.comment AS comment
FROM survey_rows r
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = r.submission_id
WHERE c.report_type = 'survey'
ORDER BY r.company, r.response_id
