"""Work items (tasks): roles, routing, assignment, the inbox, claim, complete, delegate and forms."""
