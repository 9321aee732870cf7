-- grain: unit, row_no
-- Grain: one row per part row (member and part, or link) of each unit's latest accepted
-- campaign-summary bundle received by :as_of, with the submission it came in.
SELECT c.unit_code AS unit,
       c.submission_id AS submission_id,
       c.received_at AS received_at,
       c.timeliness AS timeliness,
       c.version AS version,
       s.filename AS filename,
       s.archive_path AS archive_path,
       p.row_no AS row_no,
       p.part AS part,
       p.path AS path,
       p.size AS size,
       p.sha256 AS sha256,
       p.link AS link
FROM summary_parts p
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = p.submission_id
JOIN submissions s ON s.id = p.submission_id
WHERE c.report_type = 'summary'
ORDER BY c.unit_code, p.row_no
