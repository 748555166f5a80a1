-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 7: scheduled jobs (crontab) run by one leader among the runners.
--
-- crontab.rule: {"runtime"} for type once; {"start","end","cron":[..],"tz"} or
-- {"every": seconds} or {"every_config": "<config key>"} for type repeat (shared/crontab.h
-- validates it).  crontab.job: {"type","args","stream","timeout","retry":{..}}.
-- next_run_at is the next due time (NULL: nothing more to fire); the leader reads only the
-- earliest of them through crontab_due_idx.
--
-- A due time fires at most once: the leader writes its crontab_history row (UNIQUE per
-- crontab and scheduled time), last_state and next_run_at in one transaction, under the
-- fencing check (scheduler_leader.epoch, taken FOR SHARE: a leader whose epoch is no longer
-- the current one cannot commit a fire).  The history row is also the outbox: a row still
-- 'pending' with published_at NULL (or long ago) is published (again) by the leader.
ALTER TABLE crontab DROP CONSTRAINT crontab_last_state_check;
ALTER TABLE crontab ADD CONSTRAINT crontab_last_state_check
	CHECK (last_state IN ('pending', 'running', 'success', 'failed', 'skipped', 'timed_out'));
ALTER TABLE crontab
	ADD COLUMN misfire text NOT NULL DEFAULT 'run_once'
		CHECK (misfire IN ('run_once', 'catch_up', 'skip')),
	ADD COLUMN overlap text NOT NULL DEFAULT 'forbid'
		CHECK (overlap IN ('forbid', 'allow', 'replace')),
	ADD COLUMN fence bigint NOT NULL DEFAULT 0,
	ADD COLUMN system_key text UNIQUE;
CREATE INDEX crontab_modified_idx ON crontab (modified);

-- The current leader of each scheduler (one per Redis key prefix); epoch grows by one at
-- every change of leader.
CREATE TABLE scheduler_leader (
	name   text PRIMARY KEY,
	epoch  bigint NOT NULL DEFAULT 0,
	holder text,
	since  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE crontab_history DROP CONSTRAINT crontab_history_status_check;
ALTER TABLE crontab_history ADD CONSTRAINT crontab_history_status_check
	CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'timed_out'));
ALTER TABLE crontab_history ALTER COLUMN status SET DEFAULT 'pending';
ALTER TABLE crontab_history
	ADD COLUMN scheduled_at timestamptz,
	ADD COLUMN manual boolean NOT NULL DEFAULT false,
	ADD COLUMN started timestamptz,
	ADD COLUMN runner text,
	ADD COLUMN attempt integer NOT NULL DEFAULT 0,
	ADD COLUMN published_at timestamptz,
	ADD COLUMN fence bigint NOT NULL DEFAULT 0,
	ADD CONSTRAINT crontab_history_content_len CHECK (length(content) <= 4000),
	ADD CONSTRAINT crontab_history_job_id_len CHECK (length(job_id) <= 36),
	ADD CONSTRAINT crontab_history_once UNIQUE (crontab_id, scheduled_at);
CREATE UNIQUE INDEX crontab_history_job_idx ON crontab_history (job_id);
-- Rows to publish: never published, or published so long ago without a start that the entry
-- was lost (a Redis flush); publishing again is harmless (same job id).
CREATE INDEX crontab_history_unpublished_idx ON crontab_history (id)
	WHERE published_at IS NULL AND status = 'pending';
CREATE INDEX crontab_history_pending_idx ON crontab_history (published_at)
	WHERE status = 'pending' AND published_at IS NOT NULL;
CREATE INDEX crontab_history_open_idx ON crontab_history (crontab_id)
	WHERE status IN ('pending', 'running');

-- A job's run recorded in job_runs moves its history row along in the same transaction:
-- running (started, runner, attempt), then success or failed (finished, the error).
CREATE FUNCTION crontab_history_from_run() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	st text := CASE NEW.status WHEN 'done' THEN 'success' WHEN 'failed' THEN 'failed'
	                           ELSE 'running' END;
	cid bigint;
BEGIN
	UPDATE crontab_history h SET status = st, started = COALESCE(h.started, NEW.started),
		finished = CASE WHEN st = 'running' THEN NULL ELSE NEW.finished END,
		runner = NEW.consumer, attempt = NEW.attempt,
		content = COALESCE(left(NEW.error, 4000), h.content)
	WHERE h.job_id = NEW.job_id AND h.status IN ('pending', 'running', 'failed')
	RETURNING h.crontab_id INTO cid;
	IF cid IS NOT NULL THEN
		UPDATE crontab SET last_state = st WHERE id = cid;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER job_runs_crontab_history AFTER INSERT OR UPDATE OF status ON job_runs
	FOR EACH ROW EXECUTE FUNCTION crontab_history_from_run();

-- Changes an administrator makes wake the leader at once (one notification per
-- transaction: the payload is always empty).
CREATE FUNCTION crontab_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('crontab_changed', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER crontab_changed AFTER INSERT OR UPDATE OF rule, enable, next_run_at OR DELETE
	ON crontab FOR EACH STATEMENT EXECUTE FUNCTION crontab_notify();

-- System crontabs: the recovery scan as often as batch.recover_interval_seconds says (as
-- before, first at once), and the purge of old history rows every night.
INSERT INTO crontab (name, type, rule, job, is_system, system_key, next_run_at, misfire,
                     overlap, remark)
VALUES
	('batch recovery', 'repeat', '{"every_config": "batch.recover_interval_seconds"}',
	 '{"type": "batch.recover", "args": {}, "stream": "low"}', true, 'batch.recover', now(),
	 'run_once', 'allow', 'resumes lost batches, retries failed items, sweeps locks'),
	('history purge', 'repeat', '{"cron": ["17 3 * * *"], "tz": "UTC"}',
	 '{"type": "crontab.purge", "args": {}, "stream": "low"}', true, 'crontab.purge',
	 date_trunc('day', now() AT TIME ZONE 'UTC' - interval '3 hours 17 minutes') AT TIME ZONE 'UTC'
	 + interval '1 day 3 hours 17 minutes',
	 'run_once', 'forbid', 'deletes crontab_history rows past scheduler.history_days');
