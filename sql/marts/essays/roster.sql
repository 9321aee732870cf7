-- grain: id
-- Grain: one row per essay on the campaign's roster (active), with its unit's name.
SELECT e.id AS id,
       e.title AS title,
       e.author AS author,
       e.unit AS unit,
       u.name AS unit_name,
       e.category AS category
FROM essays e
JOIN units u ON u.campaign = e.campaign AND u.code = e.unit
WHERE e.campaign = :campaign
  AND e.active
ORDER BY e.id
