-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 10: the task center's batch.finished events, the console's
-- "finished since your last visit" notice, the sweep of tasks without outbox rows, the
-- delivery status at a glance, and taskcenter.retry as a system crontab.

-- ---- batch.finished in the outbox ----------------------------------------------------------
-- A row is about one task (the to-do events) or one finished batch or bulk process
-- operation (batch.finished, written by the statement that finishes it, for the platforms
-- with notify_batch_finished).
ALTER TABLE task_center_log
	ALTER COLUMN task_id DROP NOT NULL,
	ADD COLUMN batch_id bigint REFERENCES batch_task (id) ON DELETE CASCADE,
	ADD COLUMN op_id bigint REFERENCES process_bulk_op (id) ON DELETE CASCADE;
ALTER TABLE task_center_log DROP CONSTRAINT task_center_log_event_check;
ALTER TABLE task_center_log
	ADD CONSTRAINT task_center_log_event_check
		CHECK (event IN ('create', 'done', 'cancel', 'timeout', 'batch.finished')),
	ADD CONSTRAINT task_center_log_one_subject
		CHECK (num_nonnulls(task_id, batch_id, op_id) = 1
		       AND (event = 'batch.finished') = (task_id IS NULL));
CREATE INDEX task_center_log_batch_idx ON task_center_log (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX task_center_log_op_idx ON task_center_log (op_id) WHERE op_id IS NOT NULL;

-- ---- delivery status of the last 24 hours ----------------------------------------------
-- Rows by creation time with what the count needs (an index-only scan).
CREATE INDEX task_center_log_created_idx ON task_center_log (created) INCLUDE (platform_id, status);

-- ---- tasks without outbox rows -------------------------------------------------------------
-- taskcenter.retry walks the tasks of the last 3 days in (created, id) order, in chunks.
CREATE INDEX tasks_created_idx ON tasks (created, id);

-- ---- "finished since your last visit" ----------------------------------------------------
-- The last time each user acknowledged the notice; no row: never.
CREATE TABLE user_notice_seen (
	user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	seen_at timestamptz NOT NULL
);
CREATE INDEX batch_task_creator_finished_idx ON batch_task (creator, finished)
	WHERE status = 'finished';
CREATE INDEX process_bulk_op_creator_finished_idx ON process_bulk_op (creator, finished)
	WHERE status = 'finished';

-- ---- taskcenter.retry every minute ----------------------------------------------------------
-- Until now every batch.recover round published it; it is a system crontab of its own.
INSERT INTO crontab (name, type, rule, job, is_system, system_key, next_run_at, misfire,
                     overlap, remark)
VALUES
	('task-center retry', 'repeat', '{"cron": ["* * * * *"], "tz": "UTC"}',
	 '{"type": "taskcenter.retry", "args": {}, "stream": "low"}', true, 'taskcenter.retry',
	 date_trunc('minute', now()) + interval '1 minute',
	 'run_once', 'forbid',
	 'pushes failed task-center rows again, abandons them at max_retries, requeues dead senders'' rows, gives tasks of the last 3 days without rows theirs');
