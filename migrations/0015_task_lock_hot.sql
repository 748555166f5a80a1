-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 15: locking a task is a heap-only update.
--
-- A submission locks every task of its batch (lock_kind, lock_owner, locked_at) and an
-- executor unlocks it.  With an index on lock_owner, each lock wrote a new entry into all
-- ten indexes of tasks (10,000 tasks: ~110,000 WAL records, two thirds of the submission's
-- statement).  Without it no indexed column changes, so the lock stays on the row's page
-- as a heap-only (HOT) update when the page has room: pages of tasks are now filled to
-- half, the other half left for the lock and the unlock of their rows.  Existing pages
-- keep their fill until rewritten.
--
-- The only reader of that index was tasklock_sweep's scan for tasks locked by a batch;
-- it now reads tasks sequentially (batch.recover, once per its period).
DROP INDEX tasks_lock_owner_idx;
ALTER TABLE tasks SET (fillfactor = 50);
