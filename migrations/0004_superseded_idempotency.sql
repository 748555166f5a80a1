-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 4: superseded batch items, and idempotent batch creation.
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

-- Idempotency keys: the answer that a request with an Idempotency-Key header created, so
-- that the same key from the same user within 24 hours gets the same answer and creates
-- nothing.  The row is written in the same transaction as the batch, and the primary key
-- decides between two concurrent requests.  request is a digest of what was asked (route
-- and body): the same key with another request is refused.  A submission without a key
-- gets one of its own ('~' and random hex, outside the header's alphabet), so that a
-- transaction run again after its COMMIT's answer was lost finds its first batch.  The
-- recovery scan deletes rows older than 24 hours.
CREATE TABLE idempotency_keys (
	user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key      text NOT NULL CHECK (key <> ''),
	request  text NOT NULL,
	status   integer NOT NULL CHECK (status BETWEEN 200 AND 299),
	body     text NOT NULL,
	batch_id bigint REFERENCES batch_task (id) ON DELETE CASCADE,
	created  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created);
