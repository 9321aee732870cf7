-- Grain: one row per (unit, kind) with at least one event known by :as_of: number of
-- events, people reached and materials handed out (blank figures count as 0).
SELECT e.unit AS unit,
       e.kind AS kind,
       COUNT(*) AS events,
       COALESCE(SUM(e.people_reached), 0) AS people_reached,
       COALESCE(SUM(e.materials), 0) AS materials
FROM {{ ref('reports/events_current') }} e
GROUP BY e.unit, e.kind
ORDER BY e.unit, e.kind
