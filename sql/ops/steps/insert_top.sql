-- ops: writes step_top_entries
-- Grain: one row per place of the top list right after the import being loaded: counted steps,
-- ties in participant id order.
INSERT INTO step_top_entries (campaign, import_id, rank, participant_id, steps)
SELECT :campaign, :import_id,
       ROW_NUMBER() OVER (ORDER BY t.total_steps DESC, t.participant_id),
       t.participant_id,
       t.total_steps
FROM (SELECT participant_id, total_steps
      FROM step_participants
      WHERE campaign = :campaign
      ORDER BY total_steps DESC, participant_id
      LIMIT :top_n) t
