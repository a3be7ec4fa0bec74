"""HTTP: the one way the package sends a request (httpclient over transport), the transcript of a test's
exchanges, and Ctrl-C held out of requests (interrupts)."""
