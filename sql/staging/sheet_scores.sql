-- grain: unit, row_no
-- Grain: one row per (scoring company, essay row) of each company's latest accepted scoring
-- sheet received by :as_of. Rows left blank are included (criteria NULL): the caller decides
-- what counts.
SELECT c.unit_code AS unit,
       c.submission_id AS submission_id,
       c.received_at AS received_at,
       r.row_no AS row_no,
       r.essay_id AS essay_id,
       r.s_case AS s_case,
       r.s_person AS s_person,
       r.s_theme AS s_theme,
       r.s_emotion AS s_emotion,
       r.s_structure AS s_structure,
       r.s_language AS s_language
FROM {{ ref('staging/current_submissions') }} c
JOIN scoring_sheet_rows r ON r.submission_id = c.submission_id
WHERE c.report_type = 'scoring_sheet'
ORDER BY r.essay_id, c.unit_code
