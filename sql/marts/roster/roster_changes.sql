-- grain: id
-- Grain: one row per roster change of campaign :campaign recorded by :as_of (`insday units add`,
-- `insday units retire`): which unit joins or leaves, from when, why, and (add) the unit itself.
SELECT r.id AS id,
       r.kind AS kind,
       r.unit_code AS unit_code,
       r.effective_at AS effective_at,
       r.unit AS unit,
       r.reason AS reason,
       r.actor AS actor,
       r.created_at AS created_at
FROM roster_changes r
WHERE r.campaign = :campaign
  AND r.created_at <= :as_of
ORDER BY r.created_at, r.id
