-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 4: superseded batch items.
--
-- Superseded: when a user submits again a task that a failed item of one of their earlier
-- batches still holds locked (typically an errors.xlsx fixed and uploaded again), the new
-- batch takes the lock over and the old item becomes 'superseded' (superseded_by names the
-- new batch).  It leaves the old batch's failed count for its superseded count, so that
-- success + failed + ignored + cancelled + superseded + pending = total, and every count
-- equals the detail rows in that status.  Only executors' deltas move counts after
-- submission, so the superseded count lives in batch_counter alone.
ALTER TABLE batch_task_detail DROP CONSTRAINT batch_task_detail_status_check;
ALTER TABLE batch_task_detail ADD CONSTRAINT batch_task_detail_status_check
	CHECK (status IN ('pending', 'success', 'failed', 'ignored', 'cancelled', 'superseded'));
ALTER TABLE batch_task_detail ADD COLUMN superseded_by bigint
	REFERENCES batch_task (id) ON DELETE SET NULL;
ALTER TABLE batch_counter ADD COLUMN superseded integer NOT NULL DEFAULT 0;

