-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 3: nothing of another user's task stays in a batch.
--
-- Before this version a submission that named another user's tasks was accepted: each such
-- task became a failed item ("this task is not assigned to you") and the batch's details
-- and error workbook showed its title and form.  Submission now refuses those ids; here the
-- items already stored go.  The counts of each batch concerned are set again from the items
-- that remain (its batch_task columns plus its batch_counter sums equal its items by
-- status, and total = its items), so that success + failed + ignored + cancelled + pending
-- = total still holds.  Such items never locked their task and have no history, so nothing
-- else refers to them.  Running this file again changes nothing.

WITH foreign_item AS (
	SELECT d.id, d.batch_id FROM batch_task_detail d
	JOIN batch_task b ON b.id = d.batch_id
	JOIN tasks t ON t.id = d.task_id
	WHERE t.assignee <> b.creator),
 kept AS (
	SELECT b.id AS batch_id,
	       count(d.id) AS total,
	       count(d.id) FILTER (WHERE d.status = 'success') AS success,
	       count(d.id) FILTER (WHERE d.status = 'failed') AS failed,
	       count(d.id) FILTER (WHERE d.status = 'ignored') AS ignored,
	       count(d.id) FILTER (WHERE d.status = 'cancelled') AS cancelled
	FROM batch_task b
	LEFT JOIN batch_task_detail d ON d.batch_id = b.id
	     AND d.id NOT IN (SELECT id FROM foreign_item)
	WHERE b.id IN (SELECT batch_id FROM foreign_item)
	GROUP BY b.id),
 delta AS (
	SELECT batch_id, sum(success) AS success, sum(failed) AS failed, sum(ignored) AS ignored,
	       sum(cancelled) AS cancelled
	FROM batch_counter WHERE batch_id IN (SELECT batch_id FROM foreign_item)
	GROUP BY batch_id)
UPDATE batch_task b
SET total = k.total,
    success = k.success - coalesce(c.success, 0),
    failed = k.failed - coalesce(c.failed, 0),
    ignored = k.ignored - coalesce(c.ignored, 0),
    cancelled = k.cancelled - coalesce(c.cancelled, 0),
    modified = now()
FROM kept k LEFT JOIN delta c ON c.batch_id = k.batch_id
WHERE b.id = k.batch_id;

DELETE FROM batch_task_detail d
USING batch_task b, tasks t
WHERE b.id = d.batch_id AND t.id = d.task_id AND t.assignee <> b.creator;
