"""Staffing: contact forecasts, Erlang C/A, shifts and rosters on the business calendars, roster-driven availability (issue 20)."""
