-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 14: what the dashboard reads cheaply.
--
-- throughput_minute: items settled per minute, per kind of work and creator, added to in
-- the same commit as the work's own counter rows (chunk.h), once per chunk, into one of
-- the executor's 16 slots so that executors sharing a minute do not queue on one row.
-- The dashboard's "last hour" chart is a range scan of the primary key (at most
-- 60 minutes x creators x kinds x slots rows), scoped to one creator for a user.
-- batch.recover deletes rows older than two days.
CREATE TABLE throughput_minute (
	minute  timestamptz NOT NULL,
	kind    text NOT NULL CHECK (kind IN ('batch', 'process')),
	creator bigint NOT NULL,
	slot    smallint NOT NULL CHECK (slot >= 0),
	items   bigint NOT NULL DEFAULT 0 CHECK (items >= 0),
	PRIMARY KEY (minute, kind, creator, slot)
);

-- job_runs.enqueued_at: the job message's own enqueue time, so that the wait of a run
-- (started - enqueued_at) is in PostgreSQL next to its outcome.  started is now the
-- worker's clock when it records the start (clock_timestamp), not its transaction's.
ALTER TABLE job_runs ADD COLUMN enqueued_at timestamptz;

-- Push delivery health: delivered and abandoned/rejected rows of the last 24 hours by time,
-- failed rows (waiting for a retry) by platform; queued and sending rows have partial
-- indexes by platform (0008).
CREATE INDEX task_center_log_delivered_idx ON task_center_log (delivered_at, platform_id)
	WHERE status = 'delivered';
CREATE INDEX task_center_log_abandoned_idx ON task_center_log (modified, platform_id)
	WHERE status IN ('abandoned', 'rejected');
CREATE INDEX task_center_log_failing_idx ON task_center_log (platform_id) WHERE status = 'failed';

-- Cron failures of the last 24 hours.
CREATE INDEX crontab_history_failed_idx ON crontab_history (finished)
	WHERE status IN ('failed', 'timed_out');
