"""Judging answers: the rule catalogue, checkers that fail/warn/note under a rule, the verdicts they record,
and the JSON Schemas of WOPI bodies."""
