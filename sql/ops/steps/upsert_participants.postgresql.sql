-- ops: writes step_participants
-- Grain: one row per participant with valid records in the import being loaded: the carried
-- state moves on (update_participants), and participants first seen are added
-- (insert_participants). PostgreSQL: one MERGE, so the state table is joined once (a hash
-- join: the table has no index), and the badges a day mask earns are looked up in arrays
-- indexed by the mask (:first_donation_masks, ... one flag per mask 1 .. 2**days - 1).
MERGE INTO step_participants p
USING tmp_steps_changes c
ON p.campaign = :campaign AND p.participant_id = c.participant_id AND c.participant_id IS NOT NULL
WHEN MATCHED THEN UPDATE SET
    days_mask = p.days_mask | c.mask,
    total_steps = p.total_steps + c.counted,
    first_donation_import_id = COALESCE(p.first_donation_import_id,
                                        CASE WHEN (:first_donation_masks)[p.days_mask | c.mask] THEN :import_id END),
    five_donations_import_id = COALESCE(p.five_donations_import_id,
                                        CASE WHEN (:five_donations_masks)[p.days_mask | c.mask] THEN :import_id END),
    ten_consecutive_days_import_id = COALESCE(p.ten_consecutive_days_import_id,
                                              CASE WHEN (:ten_consecutive_days_masks)[p.days_mask | c.mask]
                                                   THEN :import_id END),
    updated_import_id = :import_id
WHEN NOT MATCHED AND c.participant_id IS NOT NULL THEN
    INSERT (campaign, participant_id, days_mask, total_steps, first_donation_import_id, five_donations_import_id,
            ten_consecutive_days_import_id, updated_import_id)
    VALUES (:campaign, c.participant_id, c.mask, c.counted,
            CASE WHEN (:first_donation_masks)[c.mask] THEN :import_id END,
            CASE WHEN (:five_donations_masks)[c.mask] THEN :import_id END,
            CASE WHEN (:ten_consecutive_days_masks)[c.mask] THEN :import_id END,
            :import_id)
