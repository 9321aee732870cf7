-- grain: link
-- Grain: one row per video the association withdrew (campaign, link) by :as_of: from then on
-- it is on no board and no certificate list.
SELECT w.link AS link,
       w.unit_code AS unit,
       w.title AS title,
       w.author AS author,
       w.reason AS reason,
       w.actor AS actor,
       w.withdrawn_at AS withdrawn_at
FROM video_withdrawals w
WHERE w.campaign = :campaign
  AND w.withdrawn_at <= :as_of
ORDER BY w.withdrawn_at, w.id
