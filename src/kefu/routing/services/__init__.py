"""Use cases of the routing app: training and triage, keyword and assignment rules, assignment."""
