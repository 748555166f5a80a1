-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 18: the notice lists cancelled work too.
--
-- GET /api/me/notices reads a user's batches and bulk operations that ended (finished or
-- cancelled) since the last acknowledgement.  The partial indexes of 0010 covered finished
-- rows only, so the cancelled branch read every row of the creator; one index per table
-- now covers both ends (a status = 'finished' branch is still implied by its predicate).
DROP INDEX batch_task_creator_finished_idx;
DROP INDEX process_bulk_op_creator_finished_idx;
CREATE INDEX batch_task_creator_ended_idx ON batch_task (creator, finished)
	WHERE status IN ('finished', 'cancelled');
CREATE INDEX process_bulk_op_creator_ended_idx ON process_bulk_op (creator, finished)
	WHERE status IN ('finished', 'cancelled');
