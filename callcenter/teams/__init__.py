"""Teams: groups of agents led by supervisors, each with its own Socket.IO room and banner broadcasts."""
