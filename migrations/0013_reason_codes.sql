-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 13: failure reasons as message codes.
--
-- Why an item failed or was ignored is stored as a code of the message catalogue
-- (shared/msg.c) and its parameters, and said in the reader's language when it is read;
-- the English text stays in `error` for logs and older readers.  Reasons stored before
-- are mapped to their code when they are one of the known English sentences, else kept
-- as they are under the code 'text' ({"text": ...}).
ALTER TABLE batch_task_detail ADD COLUMN error_code text, ADD COLUMN error_params jsonb;
ALTER TABLE proc_log ADD COLUMN error_code text, ADD COLUMN error_params jsonb;
COMMENT ON COLUMN batch_task_detail.error_code IS 'message code of the reason (shared/msg.c)';
COMMENT ON COLUMN batch_task_detail.error_params IS 'parameters of error_code';
COMMENT ON COLUMN proc_log.error_code IS 'message code of the reason (shared/msg.c)';
COMMENT ON COLUMN proc_log.error_params IS 'parameters of error_code';

-- {"c": code, "p": params} of an English reason written before this version.
CREATE FUNCTION pg_temp.fb_reason(e text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	m text[];
	r jsonb;
BEGIN
	IF e = 'the task is no longer pending' THEN
		RETURN '{"c": "item.not_pending", "p": {}}';
	ELSIF e = 'the task has moved to another node' THEN
		RETURN '{"c": "item.moved", "p": {}}';
	ELSIF e = 'the process instance is suspended' THEN
		RETURN '{"c": "item.suspended", "p": {}}';
	ELSIF e = 'this task is not assigned to you' THEN
		RETURN '{"c": "item.not_assigned", "p": {}}';
	ELSIF e = 'cancelled by the user' THEN
		RETURN '{"c": "item.cancelled", "p": {}}';
	ELSIF e = 'the process instance no longer exists' THEN
		RETURN '{"c": "proc.session_gone", "p": {}}';
	ELSIF e = 'not a monitor of this app' THEN
		RETURN '{"c": "proc.not_monitor", "p": {}}';
	END IF;
	-- A cheap prefix test first: most rows of a big table are one of a few sentences.
	IF e LIKE 'the process instance is %' THEN
		m := regexp_match(e, '^the process instance is (finished|stopped|deleted)$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.session_state', 'p', jsonb_build_object('state', m[1]));
		END IF;
		m := regexp_match(e, '^the process instance is ([a-z_]+); ([a-z_]+) applies to .*$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'proc.state_mismatch', 'p',
			                          jsonb_build_object('state', m[1], 'op', m[2]));
		END IF;
	ELSIF e LIKE 'locked by %' THEN
		m := regexp_match(e, '^locked by another batch \(batch ([0-9]{1,18})\)$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.locked_batch', 'p',
			                          jsonb_build_object('batch', m[1]::bigint));
		END IF;
		m := regexp_match(e, '^locked by (.*), who is handling it in person$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.locked_person', 'p', jsonb_build_object('owner', m[1]));
		END IF;
	ELSIF e LIKE 'the next %' THEN
		m := regexp_match(e, '^the next node "(.*)" needs an assignee$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.next_needs_assignee', 'p', jsonb_build_object('node', m[1]));
		END IF;
		m := regexp_match(e, '^the next assignee "(.*)" does not exist$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.next_assignee_unknown', 'p',
			                          jsonb_build_object('login', m[1]));
		END IF;
		m := regexp_match(e, '^the next node "(.*)" has no assignee configured$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.next_no_assignee', 'p', jsonb_build_object('node', m[1]));
		END IF;
	ELSIF e LIKE 'nobody to send the rejection back to at %' THEN
		m := regexp_match(e, '^nobody to send the rejection back to at "(.*)"$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.reject_nobody', 'p', jsonb_build_object('node', m[1]));
		END IF;
	ELSIF e LIKE 'superseded by batch %' THEN
		m := regexp_match(e, '^superseded by batch ([0-9]{1,18})$');
		IF m IS NOT NULL THEN
			RETURN jsonb_build_object('c', 'item.superseded', 'p', jsonb_build_object('batch', m[1]::bigint));
		END IF;
		m := regexp_match(e, '^superseded by batch ([0-9]{1,18}): (.*)$');
		IF m IS NOT NULL THEN
			r := pg_temp.fb_reason(m[2]);
			RETURN jsonb_build_object('c', 'item.superseded_after', 'p',
			                          jsonb_build_object('batch', m[1]::bigint, 'was',
			                                             jsonb_build_object('code', r ->> 'c',
			                                                                'params', r -> 'p')));
		END IF;
	ELSIF e LIKE 'unexpected error: %' THEN
		RETURN jsonb_build_object('c', 'item.unexpected', 'p',
		                          jsonb_build_object('detail', substr(e, length('unexpected error: ') + 1)));
	END IF;
	RETURN jsonb_build_object('c', 'text', 'p', jsonb_build_object('text', e));
END
$$;

UPDATE batch_task_detail d SET error_code = r ->> 'c', error_params = r -> 'p'
FROM (SELECT id, pg_temp.fb_reason(error) AS r FROM batch_task_detail
      WHERE error IS NOT NULL AND error_code IS NULL) x
WHERE d.id = x.id;
UPDATE proc_log l SET error_code = r ->> 'c', error_params = r -> 'p'
FROM (SELECT id, pg_temp.fb_reason(error) AS r FROM proc_log
      WHERE error IS NOT NULL AND error_code IS NULL) x
WHERE l.id = x.id;
DROP FUNCTION pg_temp.fb_reason(text);
