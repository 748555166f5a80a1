-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 5: bulk process operations, built like batches.
--
-- A bulk operation (process_bulk_op) has one proc_log row per session, written 'pending'
-- at submission and made final by the executor in the same commit as the session's
-- change: proc_log is both the operation's items and the log of every change (who, old ->
-- new state, which operation).  Its counts are its process_bulk_op columns (what
-- submission and cancel decided) plus the sums of process_bulk_counter rows that each
-- executor adds to once per chunk, as batch_counter does for batches, so that success +
-- failed + ignored + cancelled + pending = total at every commit.
ALTER TABLE process_bulk_op ADD COLUMN cancelled integer NOT NULL DEFAULT 0;
ALTER TABLE process_bulk_op ADD COLUMN heartbeat timestamptz;

ALTER TABLE proc_log DROP CONSTRAINT proc_log_status_check;
ALTER TABLE proc_log ADD CONSTRAINT proc_log_status_check
	CHECK (status IN ('pending', 'success', 'failed', 'ignored', 'cancelled'));

CREATE TABLE process_bulk_counter (
	op_id     bigint NOT NULL REFERENCES process_bulk_op (id) ON DELETE CASCADE,
	slot      smallint NOT NULL CHECK (slot >= 0),
	success   integer NOT NULL DEFAULT 0,
	failed    integer NOT NULL DEFAULT 0,
	ignored   integer NOT NULL DEFAULT 0,
	cancelled integer NOT NULL DEFAULT 0,
	PRIMARY KEY (op_id, slot)
);

-- stop and finish by an operator end a session with their own outcome.
ALTER TABLE app_sessions DROP CONSTRAINT app_sessions_outcome_check;
ALTER TABLE app_sessions ADD CONSTRAINT app_sessions_outcome_check
	CHECK (outcome IN ('approved', 'rejected', 'stopped', 'finished_by_admin'));

-- A suspended session's task timeouts pause: the time left is kept here and due_at is
-- set again from it on resume.
ALTER TABLE tasks ADD COLUMN due_paused interval;

-- The listing of sessions for monitors and admins: by app version and node, by creation
-- time, newest ids first.
CREATE INDEX app_sessions_node_idx ON app_sessions (current_node_id, id);
CREATE INDEX app_sessions_created_idx ON app_sessions (created, id);

-- Backups: who put one back, and when.
ALTER TABLE session_backup ADD COLUMN operation text;
ALTER TABLE session_backup ADD COLUMN restored timestamptz;
ALTER TABLE session_backup ADD COLUMN restored_by bigint REFERENCES users (id);

-- Idempotency keys also answer bulk operation submissions.
ALTER TABLE idempotency_keys ADD COLUMN bulk_op_id bigint
	REFERENCES process_bulk_op (id) ON DELETE CASCADE;
