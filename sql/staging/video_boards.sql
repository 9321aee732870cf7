-- grain: board_date, rank
-- Grain: one row per (board_date, rank): each day's leaderboard as of :as_of, from the
-- latest accepted leaderboard file for that day (replace mode).
SELECT b.board_date AS board_date,
       b.rank AS rank,
       b.title AS title,
       b.unit AS unit,
       b.author AS author,
       b.votes AS votes,
       b.link AS link,
       c.received_at AS received_at
FROM video_leaderboard_rows b
JOIN {{ ref('staging/current_submissions') }} c ON c.submission_id = b.submission_id
WHERE c.report_type = 'video_leaderboard'
ORDER BY b.board_date, b.rank
