-- Grain: one row per poverty-relief project: the latest report of it received by :as_of
-- (project reports are append-mode; a later row for the same project updates it).
SELECT p.project_id AS project_id,
       p.unit AS unit,
       p.region AS region,
       p.donated_on AS donated_on,
       p.completed_on AS completed_on,
       s.received_at AS received_at
FROM project_rows p
JOIN submissions s ON s.id = p.submission_id
WHERE s.status = 'accepted'
  AND s.received_at <= :as_of
  AND NOT EXISTS (
      SELECT 1
      FROM project_rows q
      JOIN submissions t ON t.id = q.submission_id
      WHERE t.status = 'accepted'
        AND t.received_at <= :as_of
        AND q.project_id = p.project_id
        AND (t.received_at > s.received_at OR (t.received_at = s.received_at AND q.id > p.id))
  )
ORDER BY p.project_id
