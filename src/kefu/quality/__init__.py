"""Quality inspection: sampling, scorecards, reviews, disputes, calibration, coaching, automatic reply checks (issue 19)."""
