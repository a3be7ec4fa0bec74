"""Report writers: they read test results and transcripts, never the engine's state."""
