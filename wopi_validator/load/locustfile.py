"""The Locust user: one simulated WOPI editor (``editor.EditorSession``) per Locust user, its requests reported
to Locust as request events named by WOPI operation, a broken rule as a failure named by the rule.

Importing this module imports Locust, which monkey-patches the process for gevent: only ``runner`` imports it,
in a process of its own (contract ``locust-modules-unimported``).
"""

from __future__ import annotations

from typing import ClassVar

from locust import User, task
from locust.exception import StopUser

from wopi_validator.load.editor import EditorSession, Outcome
from wopi_validator.load.fleet import Fleet, SetupFailed


class WopiEditor(User):
    """An office client's editor on one file: opens it, locks it, saves, refreshes the lock, unlocks."""

    fleet: ClassVar[Fleet | None] = None
    """The editors and files of this process (set by the runner before any user starts)."""

    def on_start(self) -> None:
        fleet = WopiEditor.fleet
        if fleet is None:
            raise StopUser()
        try:
            self.session: EditorSession = fleet.new_editor(self._report)
        except SetupFailed as exc:
            fleet.setup_failed(str(exc))
            raise StopUser() from None

    def wait_time(self) -> float:  # type: ignore[override]
        return self.session.pause()

    @task
    def step(self) -> None:
        self.session.step()

    def _report(self, outcome: Outcome) -> None:
        self.environment.events.request.fire(
            request_type=outcome.method, name=outcome.operation, response_time=outcome.elapsed_ms,
            response_length=outcome.length, exception=outcome.failure.name if outcome.failure else None,
            context={},
        )
