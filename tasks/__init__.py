"""Work items (tasks): roles, routing, assignment, the inbox, claiming, completing and forms."""
