"""Load beyond one machine: simulated WOPI editors run by Locust, their answers judged by the suite's rules, and
every file they touched checked against a model of what the host must hold (``wopi-validator load``).

Locust imports gevent, which monkey-patches socket, ssl and threading when it is imported. So only
``runner`` and ``locustfile`` import it, and they run in a process of their own (``python -m
wopi_validator.load.runner``), started by ``commands/load_command``; the rest of this package is plain Python
that the CLI, the plugin and our tests import freely (import-linter contracts ``locust-own-process`` and
``locust-modules-unimported``).
"""
