-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 9: task timeouts.
--
-- A task created at a node with a time limit (nodes.timeout_hours, from 0001) gets
-- due_at = its creation time plus the limit.  The task.timeout job times out the pending
-- tasks past due_at over tasks_due_idx (0001), 500 per transaction; a suspended session's
-- tasks keep their time left in due_paused (0005) with due_at NULL, so their clock stands
-- still until resume.
COMMENT ON COLUMN nodes.timeout_hours IS 'time limit of a task at this node, hours (NULL: none)';

-- System crontab: the timeout scan every minute.
INSERT INTO crontab (name, type, rule, job, is_system, system_key, next_run_at, misfire,
                     overlap, remark)
VALUES
	('task timeout', 'repeat', '{"cron": ["* * * * *"], "tz": "UTC"}',
	 '{"type": "task.timeout", "args": {}, "stream": "low"}', true, 'task.timeout',
	 date_trunc('minute', now()) + interval '1 minute',
	 'run_once', 'forbid', 'times out pending tasks past their due time');
