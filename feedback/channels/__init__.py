"""Channel adapters: each turns its wire format into calls of the workflow (intake, the citizen
proof, the action table, the search protocol) and the workflow's errors into its own."""
