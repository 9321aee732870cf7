-- ops: writes step_participants
-- Grain: one row per participant known before the import being loaded and having valid
-- records in it: the carried state moves on. Days = old | new; a badge earned with the new
-- day mask (tmp_steps_mask_stats has every mask) keeps the import it was first known from.
UPDATE step_participants
SET days_mask = m.mask,
    total_steps = step_participants.total_steps + c.counted,
    first_donation_import_id = COALESCE(step_participants.first_donation_import_id,
                                        CASE WHEN m.first_donation THEN :import_id END),
    five_donations_import_id = COALESCE(step_participants.five_donations_import_id,
                                        CASE WHEN m.five_donations THEN :import_id END),
    ten_consecutive_days_import_id = COALESCE(step_participants.ten_consecutive_days_import_id,
                                              CASE WHEN m.ten_consecutive_days THEN :import_id END),
    updated_import_id = :import_id
FROM tmp_steps_changes c, tmp_steps_mask_stats m
WHERE step_participants.campaign = :campaign
  AND step_participants.participant_id = c.participant_id
  AND m.mask = (step_participants.days_mask | c.mask)
