-- grain: region_code
-- Grain: one row per helped region with an unlock recorded by :as_of: the latest row (a later
-- row corrects the day to an earlier one).
SELECT u.region_code AS region_code,
       u.unlocked_on AS unlocked_on,
       u.group_steps AS group_steps,
       u.previous_on AS previous_on,
       u.recorded_at AS recorded_at
FROM step_unlocks u
WHERE u.campaign = :campaign
  AND u.recorded_at <= :as_of
  AND NOT EXISTS (SELECT 1 FROM step_unlocks n
                  WHERE n.campaign = u.campaign AND n.region_code = u.region_code AND n.recorded_at <= :as_of AND n.id > u.id)
ORDER BY u.region_code
