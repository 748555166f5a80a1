-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 16: the task-center push records its answers and claims its
-- next rows in one round trip.
--
-- taskcenter_push_step(answers, platform, limit, lease_s, task_url, console_url), called as
-- one statement (its own transaction):
--  1. answers (a JSON array of {id, status, http, result, ra}, or NULL): each 'sending' row
--     becomes delivered, rejected or failed, keeps its HTTP status and result; a failure's
--     next try is retry_interval_minutes later with up to a fifth more (per row, so that
--     retries do not come in waves), or ra seconds (Retry-After) when that is later;
--  2. platform (or NULL): up to limit minus the platform's rows being sent (by anyone, lease
--     not over) of its due queued rows, oldest first, skipping a row while an earlier row of
--     the same task and platform is unsettled, become 'sending' with a lease of lease_s
--     seconds; answered as (id, webhook_id, the request body).  The platform's advisory lock
--     is taken first and the claim, a later statement of the function, reads with a snapshot
--     taken after it, so that two runners never count the same free slots.
-- Both updates find their rows by primary key (= ANY of an array): a join with the claimed
-- rows or the answers could be planned as a hash of the whole table, a cost that grows with
-- the outbox at every call.
-- The commit does not wait for the WAL flush (synchronous_commit off for this transaction
-- only): a claim lost in a crash of PostgreSQL leaves its rows queued and a lost answer
-- leaves them 'sending' until the lease ends (then queued again): either way the event is
-- sent again under the same webhook id (at least once), never lost.
CREATE FUNCTION taskcenter_push_step(p_answers jsonb, p_platform bigint, p_limit int,
                                     p_lease int, p_task_url text, p_console_url text)
	RETURNS TABLE (id bigint, webhook_id text, body text)
	LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
	PERFORM set_config('synchronous_commit', 'off', true);
	IF p_answers IS NOT NULL THEN
		UPDATE task_center_log l SET status = a.status, lease_until = NULL,
		  http_status = nullif(a.http, 0), result = a.result, modified = now(),
		  delivered_at = CASE WHEN a.status = 'delivered' THEN now() END,
		  failed_at = CASE WHEN a.status = 'failed' THEN now() ELSE l.failed_at END,
		  next_at = CASE WHEN a.status = 'failed' THEN greatest(now() + make_interval(secs =>
		   (SELECT retry_interval_minutes FROM task_center_config WHERE id = 1) * 60
		   * (1 + random() / 5)), now() + make_interval(secs => a.ra)) ELSE l.next_at END
		FROM jsonb_to_recordset(p_answers) AS a(id bigint, status text, http int,
		  result text, ra int)
		WHERE l.id = a.id AND l.status = 'sending'
		  AND l.id = ANY (ARRAY(SELECT (x->>'id')::bigint FROM jsonb_array_elements(p_answers) x));
	END IF;
	IF p_platform IS NULL THEN
		RETURN;
	END IF;
	-- "taskcent" as a 32-bit class key, the platform as the object key.
	PERFORM pg_advisory_xact_lock(1952539491, p_platform::int);
	RETURN QUERY
	WITH busy AS (SELECT count(*) AS n FROM task_center_log b WHERE b.platform_id = p_platform
	  AND b.status = 'sending' AND b.lease_until > now()),
	 c AS (SELECT l.id FROM task_center_log l WHERE l.platform_id = p_platform
	  AND l.status = 'queued' AND l.next_at <= now() AND NOT EXISTS
	  (SELECT 1 FROM task_center_log e WHERE e.task_id = l.task_id
	   AND e.platform_id = l.platform_id AND e.id < l.id
	   AND e.status IN ('queued', 'sending', 'failed'))
	  ORDER BY l.id LIMIT greatest(0, p_limit - (SELECT n FROM busy))
	  FOR UPDATE OF l SKIP LOCKED)
	UPDATE task_center_log l SET status = 'sending', attempts = l.attempts + 1,
	  lease_until = now() + make_interval(secs => p_lease), modified = now()
	WHERE l.id = ANY (ARRAY(SELECT c.id FROM c))
	RETURNING l.id, l.webhook_id, (CASE WHEN l.event = 'batch.finished'
	  THEN jsonb_build_object('event', l.event, 'batch', coalesce(l.payload, '{}'::jsonb)
	   || jsonb_build_object('url', CASE WHEN p_console_url <> '' THEN p_console_url
	    || CASE l.payload->>'kind' WHEN 'batch' THEN '#/batch/' ELSE '#/process/op/' END
	    || (l.payload->>'id') END), 'occurred_at', l.created)
	  ELSE jsonb_build_object('event', l.event,
	  'task', coalesce(l.payload, '{}'::jsonb) || jsonb_build_object('url',
	   CASE WHEN p_task_url <> '' THEN p_task_url || l.task_id END),
	  'occurred_at', l.created) END)::text;
END
$$;
