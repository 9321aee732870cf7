-- ops: writes step_participants
-- Grain: one row per participant first seen in the import being loaded (in id order, which
-- keeps the primary key's pages in order).
INSERT INTO step_participants (campaign, participant_id, days_mask, total_steps, first_donation_import_id,
                               five_donations_import_id, ten_consecutive_days_import_id, updated_import_id)
SELECT :campaign, c.participant_id, c.mask, c.counted,
       CASE WHEN m.first_donation THEN :import_id END,
       CASE WHEN m.five_donations THEN :import_id END,
       CASE WHEN m.ten_consecutive_days THEN :import_id END,
       :import_id
FROM tmp_steps_changes c
JOIN tmp_steps_mask_stats m ON m.mask = c.mask
WHERE c.participant_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM step_participants s WHERE s.campaign = :campaign AND s.participant_id = c.participant_id)
ORDER BY c.participant_id
