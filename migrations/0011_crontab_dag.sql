-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 11: crontab dependencies, overlap replace, retries.
--
-- crontab.depends_on lists the crontabs that must have succeeded in the same period before
-- this one runs (shared/crontab.h says what a period is); the graph is kept acyclic by the
-- writers (crontab.c, under an advisory lock).
--
-- A history row that may not run yet is 'waiting': its upstreams are not all done, the run
-- it replaces has not stopped, or it is a retry whose backoff (not_before) has not passed.
-- The leader moves waiting rows on each round (crontab_fire.c: crontab_release): to
-- 'pending' (then published like any other), or to 'skipped' (an upstream failed).
--
-- Overlap replace: the open runs of the crontab are cancelled when a new one fires: a row
-- not started yet becomes 'cancelled' at once, a running one gets cancel_requested (its job
-- sees the flag between steps and stops) and becomes 'cancelled' when its job ends.
--
-- Retries: each attempt is a history row of its own (attempt 1, 2, ...) for the same
-- scheduled time; a failed attempt below job.retry.max_attempts adds the next one, waiting
-- job.retry.backoff_seconds * 2^(attempt-1) (at most a day), in the same transaction.
ALTER TABLE crontab
	ADD COLUMN depends_on bigint[] NOT NULL DEFAULT '{}'
		CHECK (cardinality(depends_on) <= 32);
ALTER TABLE crontab DROP CONSTRAINT crontab_last_state_check;
ALTER TABLE crontab ADD CONSTRAINT crontab_last_state_check
	CHECK (last_state IN ('pending', 'running', 'success', 'failed', 'skipped', 'timed_out',
	                      'waiting', 'cancelled'));

ALTER TABLE crontab_history DROP CONSTRAINT crontab_history_status_check;
ALTER TABLE crontab_history ADD CONSTRAINT crontab_history_status_check
	CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'timed_out',
	                  'waiting', 'cancelled'));
ALTER TABLE crontab_history
	ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
	ADD COLUMN not_before timestamptz,
	ALTER COLUMN attempt SET DEFAULT 1,
	DROP CONSTRAINT crontab_history_once,
	ADD CONSTRAINT crontab_history_once UNIQUE (crontab_id, scheduled_at, attempt);
CREATE INDEX crontab_history_waiting_idx ON crontab_history (id) WHERE status = 'waiting';
-- Marking a row published (published_at, right after its XADD) is the scheduler's hottest
-- write: no index names published_at, and pages keep room, so that it is a HOT update.
-- The rows to publish (again) are found among the pending ones, by id.
DROP INDEX crontab_history_unpublished_idx;
DROP INDEX crontab_history_pending_idx;
CREATE INDEX crontab_history_pending_idx ON crontab_history (id) WHERE status = 'pending';
ALTER TABLE crontab_history SET (fillfactor = 70);
-- The same for crontab: a run's start and end set last_state (not indexed) while the leader
-- fires other rows.
ALTER TABLE crontab SET (fillfactor = 70);
DROP INDEX crontab_history_open_idx;
CREATE INDEX crontab_history_open_idx ON crontab_history (crontab_id)
	WHERE status IN ('pending', 'running', 'waiting');

-- As in version 7, plus: a run whose cancel was requested ends 'cancelled' (whatever its job
-- answered), the history attempt is the retry attempt (no longer the delivery count), and a
-- failure below the retry policy's max_attempts adds the next attempt.
CREATE OR REPLACE FUNCTION crontab_history_from_run() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	st text := CASE NEW.status WHEN 'done' THEN 'success' WHEN 'failed' THEN 'failed'
	                           ELSE 'running' END;
	h crontab_history%ROWTYPE;
	job jsonb;
	maxa integer;
	backoff double precision;
BEGIN
	SELECT * INTO h FROM crontab_history
	WHERE job_id = NEW.job_id AND status IN ('pending', 'running', 'failed') FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF st <> 'running' AND h.cancel_requested THEN
		st := 'cancelled';
	END IF;
	UPDATE crontab_history SET status = st, started = COALESCE(started, NEW.started),
		finished = CASE WHEN st = 'running' THEN NULL ELSE NEW.finished END,
		runner = NEW.consumer,
		content = CASE WHEN st = 'cancelled' THEN content
		               ELSE COALESCE(left(NEW.error, 4000), content) END
	WHERE id = h.id;
	UPDATE crontab SET last_state = st WHERE id = h.crontab_id;
	IF st = 'failed' AND h.status <> 'failed' THEN
		SELECT c.job INTO job FROM crontab c WHERE c.id = h.crontab_id;
		maxa := COALESCE((job->'retry'->>'max_attempts')::integer, 1);
		IF h.attempt < maxa THEN
			backoff := least(COALESCE((job->'retry'->>'backoff_seconds')::integer, 0)
			                 * 2 ^ (h.attempt - 1), 86400);
			INSERT INTO crontab_history (crontab_id, scheduled_at, manual, attempt, status,
			                             job_id, not_before, content)
			VALUES (h.crontab_id, h.scheduled_at, h.manual, h.attempt + 1, 'waiting',
			        regexp_replace(h.job_id, '-a[0-9]+$', '') || '-a' || (h.attempt + 1),
			        clock_timestamp() + make_interval(secs => backoff),
			        format('retry: attempt %s of %s, %s s after attempt %s failed',
			               h.attempt + 1, maxa, backoff, h.attempt))
			ON CONFLICT DO NOTHING;
		END IF;
	END IF;
	RETURN NULL;
END
$$;
