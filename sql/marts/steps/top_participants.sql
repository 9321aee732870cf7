-- grain: rank
-- Grain: one row per place of the top list as known by :as_of (the list made by the latest
-- import received by then).
SELECT t.rank AS rank, t.participant_id AS participant_id, t.steps AS steps
FROM step_top_entries t
WHERE t.import_id = (SELECT MAX(id) FROM step_imports WHERE campaign = :campaign AND received_at <= :as_of)
ORDER BY t.rank
