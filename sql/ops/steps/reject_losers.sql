-- ops: writes step_rejects
-- Grain: one row per same-day repeat decided by the import being loaded (its own records, and
-- records of earlier imports superseded by an earlier donation in it).
INSERT INTO step_rejects (campaign, record_id, import_id, reason)
SELECT :campaign, record_id, :import_id, 'repeat_same_day'
FROM tmp_steps_losers
