"""How each kind of office client edits a file: the mix of its requests and its pauses (a small table).

The numbers are an approximation of each client's traffic to a WOPI host, scaled down to seconds so that a run
of a minute goes through many editing sessions: an editor opens the file (CheckFileInfo, GetFile), takes the lock,
then, until it has saved ``saves_per_session`` times, picks its next request by ``weights`` after a pause drawn
from ``think``, refreshing the lock every ``refresh_every`` seconds; then it unlocks and opens the file again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PUT_FILE = "PutFile"
GET_FILE = "GetFile"
CHECK_FILE_INFO = "CheckFileInfo"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    think: tuple[float, float]
    """Seconds between two requests of one editor (uniformly drawn)."""
    weights: dict[str, int]
    """While editing: how often each request comes next (PutFile, GetFile, CheckFileInfo)."""
    saves_per_session: int
    """Saves before the editor unlocks and opens the file again."""
    refresh_every: float
    """Seconds between two RefreshLocks of a held lock."""

    def pause(self, rng: random.Random) -> float:
        return rng.uniform(*self.think)

    def next_request(self, rng: random.Random) -> str:
        names = list(self.weights)
        return rng.choices(names, weights=[self.weights[name] for name in names])[0]


PROFILES: dict[str, Profile] = {profile.name: profile for profile in (
    Profile("collabora", "Collabora Online: saves often (autosave of a modified document), rarely re-reads",
            think=(0.05, 0.3), weights={PUT_FILE: 6, CHECK_FILE_INFO: 2, GET_FILE: 1},
            saves_per_session=4, refresh_every=1.0),
    Profile("onlyoffice", "ONLYOFFICE Docs over WOPI: long sessions, few saves (on force-save and close), "
            "CheckFileInfo on reconnects", think=(0.1, 0.5), weights={PUT_FILE: 2, CHECK_FILE_INFO: 3, GET_FILE: 1},
            saves_per_session=2, refresh_every=1.5),
    Profile("microsoft", "Office for the web: frequent CheckFileInfo, autosave, lock refreshed often",
            think=(0.05, 0.25), weights={PUT_FILE: 4, CHECK_FILE_INFO: 4, GET_FILE: 2},
            saves_per_session=3, refresh_every=0.75),
    Profile("burst", "no client's: editors that never pause, to find what breaks when requests overlap (races, "
            "saves under contention) in a few seconds", think=(0.0, 0.01),
            weights={PUT_FILE: 6, CHECK_FILE_INFO: 1, GET_FILE: 2}, saves_per_session=8, refresh_every=0.5),
)}
DEFAULT_PROFILE = "collabora"
