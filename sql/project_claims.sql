-- Grain: one row per poverty-relief project: the latest report of it received by :as_of
-- (project reports are append-mode; a later row for the same project updates it).
-- What the deadline registry needs (insday.reports.projects.project_claims).
SELECT p.project_id AS project_id,
       p.unit AS unit,
       p.region AS region,
       p.donated_on AS donated_on,
       p.completed_on AS completed_on,
       p.received_at AS received_at
FROM {{ ref('reports/projects_current') }} p
ORDER BY p.project_id
