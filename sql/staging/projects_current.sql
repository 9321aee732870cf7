-- grain: project_id
-- Grain: one row per poverty-relief project: the latest report of it received by :as_of
-- (append mode: a later row for the same project id updates it). The claimant is the
-- company that reports it (intake refuses a project id claimed by another company).
SELECT p.project_id AS project_id,
       p.unit AS unit,
       p.region AS region,
       p.head_office AS head_office,
       p.coverage AS coverage,
       p.people AS people,
       p.term_months AS term_months,
       p.donated_on AS donated_on,
       p.published_on AS published_on,
       p.claims_paid AS claims_paid,
       p.completed_on AS completed_on,
       p.results_published_on AS results_published_on,
       p.link AS link,
       s.received_at AS received_at
FROM project_rows p
JOIN {{ ref('staging/valid_submissions') }} s ON s.submission_id = p.submission_id
WHERE NOT EXISTS (
      SELECT 1
      FROM project_rows q
      JOIN {{ ref('staging/valid_submissions') }} t ON t.submission_id = q.submission_id
      WHERE q.project_id = p.project_id
        AND (t.received_at > s.received_at OR (t.received_at = s.received_at AND q.id > p.id))
  )
