-- Grain: one row per member unit the platform gave figures for, by :as_of: steps summed over
-- days, each day from the latest pull that has it.
SELECT u.unit_code AS unit_code, CAST(SUM(u.steps) AS BIGINT) AS steps
FROM step_pulled_units u
JOIN (SELECT x.unit_code, x.day, MAX(x.pull_id) AS pull_id
      FROM step_pulled_units x
      JOIN step_pulls p ON p.id = x.pull_id
      WHERE p.pulled_at <= :as_of
      GROUP BY x.unit_code, x.day) l ON l.pull_id = u.pull_id AND l.unit_code = u.unit_code AND l.day = u.day
GROUP BY u.unit_code
