-- grain: one row
-- Grain: one row: the latest moment step data (an import or a pull) was recorded, by :as_of
-- (NULL: none yet).
SELECT MAX(x.moment) AS latest_at
FROM (SELECT MAX(received_at) AS moment FROM step_imports WHERE campaign = :campaign AND received_at <= :as_of
      UNION ALL
      SELECT MAX(pulled_at) FROM step_pulls WHERE campaign = :campaign AND pulled_at <= :as_of) x
