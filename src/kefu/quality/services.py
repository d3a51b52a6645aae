"""Use cases of the quality app; each module holds one area (scorecards, sampling, reviews, checks).
Every caller — views, API, tasks, demo, tests — goes through these names."""

from __future__ import annotations

from . import checks, reviews, sampling, scorecards

save_scorecard = scorecards.save_scorecard
sample_week = sampling.run
open_review = reviews.open_review
save_review = reviews.save_review
add_comment = reviews.add_comment
acknowledge = reviews.acknowledge
dispute = reviews.dispute
settle = reviews.settle
add_coaching_note = reviews.add_coaching_note
create_calibration = reviews.create_calibration
run_checks = checks.run
save_check_standard = checks.save_standard

__all__ = [
    "acknowledge",
    "add_coaching_note",
    "add_comment",
    "create_calibration",
    "dispute",
    "open_review",
    "run_checks",
    "sample_week",
    "save_check_standard",
    "save_review",
    "save_scorecard",
    "settle",
]
