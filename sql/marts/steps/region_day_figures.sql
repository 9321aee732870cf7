-- grain: region_code, day
-- Grain: one row per (region, day) with figures known by :as_of: from raw records (sum of the
-- imports' changes) and from the platform (the latest pull that has that region and day).
-- Steps are as donated (not doubled); NULL where a source has nothing.
WITH raw AS (
    SELECT d.region_code, d.day, SUM(d.donations) AS donations, CAST(SUM(d.steps) AS BIGINT) AS steps
    FROM step_region_days d
    JOIN step_imports i ON i.id = d.import_id
    WHERE d.campaign = :campaign
      AND i.received_at <= :as_of
    GROUP BY d.region_code, d.day
),
latest AS (
    SELECT r.region_code, r.day, MAX(r.pull_id) AS pull_id
    FROM step_pulled_regions r
    JOIN step_pulls p ON p.id = r.pull_id
    WHERE r.campaign = :campaign
      AND p.pulled_at <= :as_of
    GROUP BY r.region_code, r.day
),
pulled AS (
    SELECT r.region_code, r.day, r.steps, r.donations
    FROM step_pulled_regions r
    JOIN latest l ON l.pull_id = r.pull_id AND l.region_code = r.region_code AND l.day = r.day
),
keys AS (
    SELECT region_code, day FROM raw
    UNION
    SELECT region_code, day FROM pulled
)
SELECT k.region_code AS region_code,
       k.day AS day,
       raw.steps AS raw_steps,
       raw.donations AS raw_donations,
       pulled.steps AS pulled_steps,
       pulled.donations AS pulled_donations
FROM keys k
LEFT JOIN raw ON raw.region_code = k.region_code AND raw.day = k.day
LEFT JOIN pulled ON pulled.region_code = k.region_code AND pulled.day = k.day
ORDER BY k.region_code, k.day
