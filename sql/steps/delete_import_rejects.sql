-- Grain: every reject decided by the import being loaded (to decide them again).
DELETE FROM step_rejects WHERE import_id = :import_id
