-- Grain: one row per project row of every accepted project report received by :as_of, in
-- the order received. Project reports are append-mode: each says how far a project has
-- come (claimed, donated, completed); the deadline status reads when each step was reported.
SELECT p.project_id AS project_id,
       p.unit AS unit,
       p.donated_on AS donated_on,
       p.completed_on AS completed_on,
       s.received_at AS received_at
FROM project_rows p
JOIN submissions s ON s.id = p.submission_id
WHERE s.status = 'accepted'
  AND s.received_at <= :as_of
ORDER BY s.received_at, p.id
