"""Department tasks, milestones, syncs and digests, approvals, delay-cause review (issue 19)."""
