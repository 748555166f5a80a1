-- Task center: to-do changes pushed to third-party platforms through an outbox.
--
-- A task change writes one task_center_log row per enabled platform in the same
-- transaction as the change (status 'queued'); the taskcenter.push job claims due rows
-- ('sending', with a lease), POSTs them and records the answer: 'delivered' (2xx),
-- 'rejected' (4xx other than 408/429, no retry), 'failed' (retried by taskcenter.retry
-- after next_at until retry_count reaches max_retries, then 'abandoned').  A row whose
-- sender died keeps 'sending' until its lease runs out and is then queued again.

-- ---- platforms ---------------------------------------------------------------------------
ALTER TABLE task_center_platform
	ADD COLUMN connect_timeout_ms integer NOT NULL DEFAULT 2000
		CHECK (connect_timeout_ms BETWEEN 100 AND 60000),
	ADD COLUMN max_concurrency integer NOT NULL DEFAULT 4 CHECK (max_concurrency BETWEEN 1 AND 64),
	ADD COLUMN notify_batch_finished boolean NOT NULL DEFAULT false;
-- timeout_ms (0001) is the total time one request may take.
COMMENT ON COLUMN task_center_platform.timeout_ms IS 'total time of one request, ms';
ALTER TABLE task_center_platform
	ADD CONSTRAINT task_center_platform_url_http CHECK (url ~ '^https?://');

-- ---- the outbox ---------------------------------------------------------------------------
ALTER TABLE task_center_log DROP CONSTRAINT IF EXISTS task_center_log_status_check;
ALTER TABLE task_center_log DROP CONSTRAINT IF EXISTS task_center_log_event_check;
DROP INDEX IF EXISTS task_center_log_status_retry_idx;
DROP INDEX IF EXISTS task_center_log_task_idx;
UPDATE task_center_log SET status = CASE status WHEN 'pending' THEN 'queued'
	WHEN 'success' THEN 'delivered' ELSE status END;
ALTER TABLE task_center_log RENAME COLUMN next_retry_at TO next_at;
ALTER TABLE task_center_log
	ALTER COLUMN status SET DEFAULT 'queued',
	ALTER COLUMN next_at SET DEFAULT now(),
	ADD COLUMN webhook_id text,
	ADD COLUMN lease_until timestamptz,
	ADD COLUMN http_status integer,
	ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	ADD COLUMN delivered_at timestamptz;
UPDATE task_center_log SET webhook_id = 'msg_tc_' || task_id || '_' || platform_id || '_' || event
	WHERE webhook_id IS NULL;
UPDATE task_center_log SET next_at = coalesce(next_at, created);
UPDATE task_center_log SET result = left(result, 1000) WHERE length(result) > 1000;
ALTER TABLE task_center_log
	ALTER COLUMN webhook_id SET NOT NULL,
	ALTER COLUMN next_at SET NOT NULL,
	ADD CONSTRAINT task_center_log_event_check
		CHECK (event IN ('create', 'done', 'cancel', 'timeout')),
	ADD CONSTRAINT task_center_log_status_check
		CHECK (status IN ('queued', 'sending', 'delivered', 'rejected', 'failed', 'abandoned')),
	ADD CONSTRAINT task_center_log_result_len CHECK (length(result) <= 1000),
	ADD CONSTRAINT task_center_log_sending_lease CHECK ((status = 'sending') = (lease_until IS NOT NULL));
-- One row per (task, platform, event): writing an event twice is harmless, and the id the
-- platform drops duplicates by is stable.
CREATE UNIQUE INDEX task_center_log_event_key ON task_center_log (task_id, platform_id, event);
CREATE UNIQUE INDEX task_center_log_webhook_key ON task_center_log (webhook_id);
-- The push claim: due queued rows of one platform, oldest first.
CREATE INDEX task_center_log_queued_idx ON task_center_log (platform_id, id)
	WHERE status = 'queued';
-- Order per (task, platform): the earlier rows not yet settled.
CREATE INDEX task_center_log_open_idx ON task_center_log (task_id, platform_id, id)
	WHERE status IN ('queued', 'sending', 'failed');
-- The retry scan and the lease sweep.
CREATE INDEX task_center_log_failed_idx ON task_center_log (next_at) WHERE status = 'failed';
CREATE INDEX task_center_log_sending_idx ON task_center_log (platform_id, lease_until)
	WHERE status = 'sending';
