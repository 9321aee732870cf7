-- grain: unit, kind
-- Grain: one row per (unit, kind) with at least one event known by :as_of: number of
-- events, people reached, materials handed out and, for workplace publicity, posters, LED
-- screens and service desks (blank figures count as 0). The unit may be the association.
SELECT e.unit AS unit,
       e.kind AS kind,
       COUNT(*) AS events,
       COALESCE(SUM(e.people_reached), 0) AS people_reached,
       COALESCE(SUM(e.materials), 0) AS materials,
       COALESCE(SUM(e.posters), 0) AS posters,
       COALESCE(SUM(e.led_screens), 0) AS led_screens,
       COALESCE(SUM(e.service_desks), 0) AS service_desks
FROM {{ ref('staging/events_current') }} e
GROUP BY e.unit, e.kind
ORDER BY e.unit, e.kind
