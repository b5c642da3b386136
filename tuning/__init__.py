"""The tuning loop: routing events read back, feedback labels, replay, rule diffs and reports."""
