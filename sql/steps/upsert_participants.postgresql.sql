-- Grain: one row per participant with valid records in the import being loaded: the carried
-- state moves on (update_participants), and participants first seen are added
-- (insert_participants). PostgreSQL: one statement, so the state table is joined once (a hash
-- join: the table has no index).
WITH updated AS (
    UPDATE step_participants
    SET days_mask = m.mask,
        total_steps = step_participants.total_steps + c.counted,
        first_donation_import_id = COALESCE(step_participants.first_donation_import_id,
                                            CASE WHEN m.first_donation_on IS NOT NULL THEN :import_id END),
        five_donations_import_id = COALESCE(step_participants.five_donations_import_id,
                                            CASE WHEN m.five_donations_on IS NOT NULL THEN :import_id END),
        ten_consecutive_days_import_id = COALESCE(step_participants.ten_consecutive_days_import_id,
                                                  CASE WHEN m.ten_consecutive_days_on IS NOT NULL THEN :import_id END),
        updated_import_id = :import_id
    FROM tmp_steps_changes c, tmp_steps_mask_stats m
    WHERE step_participants.participant_id = c.participant_id
      AND m.mask = (step_participants.days_mask | c.mask)
    RETURNING step_participants.participant_id
)
INSERT INTO step_participants (participant_id, days_mask, total_steps, first_donation_import_id,
                               five_donations_import_id, ten_consecutive_days_import_id, updated_import_id)
SELECT c.participant_id, c.mask, c.counted,
       CASE WHEN m.first_donation_on IS NOT NULL THEN :import_id END,
       CASE WHEN m.five_donations_on IS NOT NULL THEN :import_id END,
       CASE WHEN m.ten_consecutive_days_on IS NOT NULL THEN :import_id END,
       :import_id
FROM tmp_steps_changes c
JOIN tmp_steps_mask_stats m ON m.mask = c.mask
WHERE c.participant_id IS NOT NULL
  AND c.participant_id NOT IN (SELECT participant_id FROM updated)
