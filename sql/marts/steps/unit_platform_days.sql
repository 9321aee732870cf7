-- grain: unit_code, day
-- Grain: one row per (member unit, day) the platform gave figures for, by :as_of: the steps of
-- the unit's registered staff as donated (not doubled), from the latest pull that has that unit and day.
SELECT u.unit_code AS unit_code, u.day AS day, CAST(u.steps AS BIGINT) AS steps
FROM step_pulled_units u
JOIN (SELECT x.unit_code, x.day, MAX(x.pull_id) AS pull_id
      FROM step_pulled_units x
      JOIN step_pulls p ON p.id = x.pull_id
      WHERE x.campaign = :campaign
        AND p.pulled_at <= :as_of
      GROUP BY x.unit_code, x.day) l ON l.pull_id = u.pull_id AND l.unit_code = u.unit_code AND l.day = u.day
ORDER BY u.unit_code, u.day
