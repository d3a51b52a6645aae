"""Emergency plans (应急预案): live triggers, activations and drills, incidents, broadcast replies (issue 21)."""
