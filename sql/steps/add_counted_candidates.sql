-- Grain: one row per record counted before the import being loaded, of a participant in
-- tmp_steps_problem, on a day the import also has records for (overlap).
INSERT INTO tmp_steps_candidates (record_id, participant_id, donated_at, region, idx, steps, factor)
SELECT r.record_id, r.participant_id, r.donated_at, r.region, d.idx, r.steps, d.factor
FROM step_records r
JOIN tmp_steps_problem p ON p.participant_id = r.participant_id
JOIN tmp_steps_days d ON r.donated_at >= d.starts_at AND r.donated_at < d.ends_at
WHERE r.record_id < :first_id
  AND p.overlap <> 0
  AND (p.overlap >> d.idx) & 1 = 1
  AND NOT EXISTS (SELECT 1 FROM step_rejects j WHERE j.record_id = r.record_id)
