"""Training: courses, assessments, scenario tests, onboarding programmes, mentors, reusable cases, agent scorecards (issue 20)."""
