-- grain: one row
-- Grain: one row: how many participants hold each badge, as known by :as_of.
SELECT COALESCE(SUM(CASE WHEN p.first_donation_import_id <= k.cutoff THEN 1 ELSE 0 END), 0) AS first_donation,
       COALESCE(SUM(CASE WHEN p.five_donations_import_id <= k.cutoff THEN 1 ELSE 0 END), 0) AS five_donations,
       COALESCE(SUM(CASE WHEN p.ten_consecutive_days_import_id <= k.cutoff THEN 1 ELSE 0 END), 0)
           AS ten_consecutive_days
FROM step_participants p
CROSS JOIN (SELECT MAX(id) AS cutoff FROM step_imports WHERE campaign = :campaign AND received_at <= :as_of) k
WHERE p.campaign = :campaign
