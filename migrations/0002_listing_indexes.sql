-- SPDX-License-Identifier: MIT
-- flowbatch schema, version 2: indexes for the batch console's listing of one user's
-- pending tasks, which is ordered by (created, id) so that pages are stable.
--
-- With them the page query walks the index in order and stops after one page (no sort of
-- all of a user's tasks), and the count and the per-node counts are index-only scans.

-- GET /api/batch/tasks?node_id=..: one user's pending tasks at one node, in page order.
-- Also serves the per-node counts of GET /api/batch/nodes.
CREATE INDEX tasks_pending_assignee_node_created_idx ON tasks (assignee, node_id, created, id)
	WHERE state = 'pending';

-- GET /api/batch/tasks without node_id: one user's pending tasks across nodes, in page order.
CREATE INDEX tasks_pending_assignee_created_idx ON tasks (assignee, created, id)
	WHERE state = 'pending';
