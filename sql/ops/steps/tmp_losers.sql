-- ops: creates temp table tmp_steps_losers, grain: record_id
-- Grain: one row per candidate record that is not the first donation of its participant's
-- day (insday.steps.rules.first_donation_order: earliest donated_at, equal times the earlier
-- record, i.e. earlier file and line).
CREATE TEMP TABLE tmp_steps_losers AS
SELECT ranked.record_id AS record_id,
       ranked.participant_id AS participant_id,
       ranked.region AS region,
       ranked.idx AS idx,
       ranked.steps AS steps,
       ranked.factor AS factor
FROM (SELECT c.record_id, c.participant_id, c.region, c.idx, c.steps, c.factor,
             ROW_NUMBER() OVER (PARTITION BY c.participant_id, c.idx ORDER BY c.donated_at, c.record_id) AS rn
      FROM tmp_steps_candidates c) ranked
WHERE ranked.rn > 1
