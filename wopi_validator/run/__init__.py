"""One run against a host: its opening (startup), the target and its sandbox files, capability promises,
containers, extra seeds, the seed guard, lock release, the ledger and the clean-up of an interrupted run."""
