-- grain: unit, link
-- Grain: one row per short video (unit, link): the latest report of it received by :as_of
-- (append mode: a later row with the same unit and link updates the video).
SELECT v.unit AS unit,
       v.title AS title,
       v.author AS author,
       v.platform AS platform,
       v.link AS link,
       v.published_on AS published_on,
       v.duration AS duration,
       s.received_at AS received_at
FROM video_rows v
JOIN {{ ref('staging/valid_submissions') }} s ON s.submission_id = v.submission_id
WHERE NOT EXISTS (
      SELECT 1
      FROM video_rows w
      JOIN {{ ref('staging/valid_submissions') }} t ON t.submission_id = w.submission_id
      WHERE w.unit = v.unit
        AND w.link = v.link
        AND (t.received_at > s.received_at OR (t.received_at = s.received_at AND w.id > v.id))
  )
ORDER BY v.unit, v.published_on, v.title
