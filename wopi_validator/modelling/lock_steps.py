"""The lock operations as steps of the machine: Lock, RefreshLock, Unlock, UnlockAndRelock, GetLock, and
simultaneous Locks (a race), each judged against the model."""

from __future__ import annotations

from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.modelling.lock_control import LockControl
from wopi_validator.modelling.machine_env import Fresh, describe_lock
from wopi_validator.modelling.replay import CHECK
from wopi_validator.wopi.client import WopiResponse


class LockSteps(LockControl):
    """The steps that take, refresh, release, replace, read or race for the file's lock."""

    def do_lock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"Lock with {describe_lock(lock)}",
                        self.env.model.lock, self.client.lock)

    def do_refresh_lock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"RefreshLock with {describe_lock(lock)}",
                        self.env.model.refresh_lock, self.client.refresh_lock)

    def do_unlock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"Unlock with {describe_lock(lock)}",
                        self.env.model.unlock, self.client.unlock)

    def do_unlock_and_relock(self, new_choice: str, new_fresh: Fresh, old_choice: str, old_fresh: Fresh) -> None:
        """The lock presented (and controlled) is X-WOPI-OldLock; the new lock stays as drawn."""
        client = self.client
        assert client is not None
        lock_id = self.resolve(new_choice, new_fresh)
        old = self.resolve(old_choice, old_fresh) or old_fresh()
        self.presenting(
            old, lambda old_lock: f"UnlockAndRelock to {describe_lock(lock_id)} from X-WOPI-OldLock {old_lock!r}",
            lambda state, old_lock, now: self.env.model.unlock_and_relock(state, lock_id, old_lock or "", now),
            lambda old_lock: client.unlock_and_relock(lock_id, old_lock),
        )

    def do_get_lock(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("GetLock"):
            check = self.env.check
            expected = self.env.model.get_lock(self.state, self.now())
            response = self.client.get_lock()
            self.judge(expected, response, "GetLock")
            want = expected.required.lock_header or ""
            value = response.header("X-WOPI-Lock")
            if want:
                if value and value != want:
                    self._stored_altered(value, want, "GetLock")
                check.must(value == want, "GETLOCK.CURRENT",
                           f"GetLock returned X-WOPI-Lock {value!r}; {expected.reason}", response)
            else:
                check.must(value is None or value.strip() == "", "GETLOCK.CURRENT",
                           f"GetLock on an unlocked file returned X-WOPI-Lock {value!r}; expected an empty value",
                           response)
                check.should(value is not None, "GETLOCK.CURRENT",
                             "GetLock on an unlocked file should send X-WOPI-Lock present and empty; it is absent",
                             response)

    def do_lock_race(self, base: str, racers: int) -> None:
        """Simultaneous Locks with different IDs, one connection each (LOCK.CONCURRENT.ONE)."""
        assert self.client is not None and self.state is not None
        stem = base[: self.env.max_lock_length - 4].rstrip()
        lock_ids = [f"{stem} #{number}" for number in range(1, racers + 1)]
        action = f"{racers} simultaneous Locks with X-WOPI-Lock {lock_ids[0]!r} ... {lock_ids[-1]!r}"
        with self.step(action, parallel=True):
            outcomes = self.env.model.lock_race(self.state, lock_ids, self.now())
            self.client.locks_sent.extend(lock_ids)
            results = self._race(lock_ids)
            errors = [f"{lock_id!r}: {result}" for lock_id, result in results.items()
                      if isinstance(result, Exception)]
            self.env.check.must(not errors, "LOCK.CONCURRENT.ONE", f"{action}: some got no answer: {'; '.join(errors)}")
        responses: dict[str, WopiResponse] = results  # type: ignore[assignment]
        observed = {lock_id: responses[lock_id].status for lock_id in lock_ids}
        matching = [outcome for outcome in outcomes
                    if all(outcome.answers[lock_id][0] == observed[lock_id] for lock_id in lock_ids)]
        if not matching and 200 in observed.values():
            self._refused_when_alone(action)
        with self.recorder.record(CHECK, f"the answers to the {racers} Locks compared with the model"):
            self._judge_race(outcomes, matching, responses, lock_ids, action)

    def _race(self, lock_ids: list[str]) -> dict[str, WopiResponse | Exception]:
        assert self.client is not None
        calls = [lambda client, lock_id=lock_id: client.lock(lock_id) for lock_id in lock_ids]
        answers = simultaneously(self.client, calls, self.env.target.config.timeout)
        return dict(zip(lock_ids, answers, strict=True))
