-- grain: one row
-- Grain: one row: the latest moment step data was recorded (imports and pulls).
SELECT MAX(x.moment) AS latest_at
FROM (SELECT MAX(received_at) AS moment FROM step_imports WHERE campaign = :campaign
      UNION ALL
      SELECT MAX(pulled_at) FROM step_pulls WHERE campaign = :campaign) x
