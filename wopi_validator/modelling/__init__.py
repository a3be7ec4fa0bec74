"""The model-based search: the executable model of a WOPI file, Hypothesis strategies and state machine,
simultaneous requests for races, and replay of a shrunk failure."""
