-- grain: essay_id
-- Grain: one row per essay in the latest accepted online vote export received by :as_of.
SELECT v.essay_id AS essay_id,
       v.votes AS votes,
       c.received_at AS received_at
FROM {{ ref('staging/current_submissions') }} c
JOIN vote_rows v ON v.submission_id = c.submission_id
WHERE c.report_type = 'votes'
ORDER BY v.essay_id
