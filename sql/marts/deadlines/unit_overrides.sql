-- grain: deadline_id, unit_code
-- Grain: one row per (deadline, unit) with an exception known at :as_of in campaign :campaign:
-- the newest extension (its own due time) or exemption recorded by then.
SELECT o.deadline_id AS deadline_id,
       o.unit_code AS unit_code,
       o.kind AS kind,
       o.until AS until_at,
       o.reason AS reason,
       o.actor AS actor,
       o.created_at AS created_at
FROM deadline_overrides o
WHERE o.campaign = :campaign
  AND o.created_at <= :as_of
  AND NOT EXISTS (
      SELECT 1
      FROM deadline_overrides n
      WHERE n.campaign = o.campaign
        AND n.deadline_id = o.deadline_id
        AND n.unit_code = o.unit_code
        AND n.created_at <= :as_of
        AND (n.created_at > o.created_at OR (n.created_at = o.created_at AND n.id > o.id))
  )
