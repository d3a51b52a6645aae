"""Use cases of the training app. Each lives in its own module (courses, assessments, sessions,
onboarding, mentors, cases, scorecard); this module names them for every caller."""

from __future__ import annotations

from .assessments import create_assessment, mark_attempt, start_attempt, submit_attempt
from .cases import generate as generate_case_tasks
from .cases import refresh as refresh_case_tasks
from .courses import create_course, enrol, enrol_role, mark_module_done
from .mentors import eligibility, pair
from .onboarding import decide, default_programme, give_feedback, sign_off
from .onboarding import start as start_onboarding
from .scorecard import set_target
from .sessions import create_session, record_attendance

__all__ = [
    "create_assessment",
    "create_course",
    "create_session",
    "decide",
    "default_programme",
    "eligibility",
    "enrol",
    "enrol_role",
    "generate_case_tasks",
    "give_feedback",
    "mark_attempt",
    "mark_module_done",
    "pair",
    "record_attendance",
    "refresh_case_tasks",
    "set_target",
    "sign_off",
    "start_attempt",
    "start_onboarding",
    "submit_attempt",
]
