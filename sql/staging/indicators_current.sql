-- grain: unit
-- Grain: one row per company: the figures of its latest accepted indicators report
-- received by :as_of (replace mode; one row per file).
SELECT i.unit AS unit,
       i.claims_paid AS claims_paid,
       i.tax_paid AS tax_paid,
       i.employees AS employees,
       i.agents AS agents,
       i.poverty_coverage AS poverty_coverage,
       i.poverty_people AS poverty_people,
       c.received_at AS received_at,
       c.timeliness AS timeliness,
       c.version AS version
FROM indicator_rows i
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = i.submission_id
WHERE c.report_type = 'indicators'
