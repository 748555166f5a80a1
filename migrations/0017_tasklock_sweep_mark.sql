-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 17: the stale-lock sweep reads what changed since its last round.
--
-- tasklock_sweep (every batch.recover round) read all of tasks since 0015 dropped the index
-- on its lock columns: 110 ms a round for 458,000 tasks, growing with the table.  A batch
-- lock can lose its reason only when its item becomes final in a settled batch, or when the
-- retry planned for its failed item can no longer happen; so the sweep now looks only at the
-- tasks of the items of batches settled (finished, cancelled) since its last round, through
-- batch_task (status, modified), and of failed items with a retry planned, through the index
-- of planned retries.  swept_to is the start of the last round that left nothing behind
-- (the sweep goes back a little further, for transactions still open then).  A lock that no
-- such item names (a batch that does not exist) is found by a round that reads all of tasks
-- as before, once a day (full_to: the start of the last one); from -infinity, the first
-- round after this migration is one.
CREATE TABLE tasklock_sweep_mark (
	id       boolean PRIMARY KEY DEFAULT true CHECK (id),
	swept_to timestamptz NOT NULL,
	full_to  timestamptz NOT NULL
);
INSERT INTO tasklock_sweep_mark (swept_to, full_to) VALUES ('-infinity', '-infinity');
