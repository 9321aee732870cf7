-- grain: unit, event_date, kind, place
-- Grain: one row per outreach event (unit, event_date, kind, place): the latest report of
-- it received by :as_of. Events are append-mode: a later row with the same unit, date,
-- kind and place replaces the earlier one, so a resent cumulative list counts once.
SELECT e.unit AS unit,
       e.event_date AS event_date,
       e.kind AS kind,
       e.title AS title,
       e.place AS place,
       e.people_reached AS people_reached,
       e.materials AS materials,
       e.media_links AS media_links,
       e.posters AS posters,
       e.led_screens AS led_screens,
       e.service_desks AS service_desks,
       s.received_at AS received_at
FROM event_rows e
JOIN {{ ref('staging/valid_submissions') }} s ON s.submission_id = e.submission_id
WHERE NOT EXISTS (
      SELECT 1
      FROM event_rows f
      JOIN {{ ref('staging/valid_submissions') }} t ON t.submission_id = f.submission_id
      WHERE f.unit = e.unit
        AND f.event_date = e.event_date
        AND f.kind = e.kind
        AND f.place = e.place
        AND (t.received_at > s.received_at OR (t.received_at = s.received_at AND f.id > e.id))
  )
