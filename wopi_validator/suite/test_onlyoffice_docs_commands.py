"""OO.CMD.TOKEN: the command-service requests the integration sends to its Document Server
(shared/onlyoffice-docs-api.md section 3). The Document Server we play records every ``POST /command`` (and
``/coauthoring/CommandService.ashx``) of the area's run and, as one with inbox JWT on, answers error 6 to a token
that does not verify. To give the integration a reason to send one, the test sends the callback on which the
official example asks for a forcesave: status 1, a user disconnected while another still edits. Runs when the area
is configured, and in every run of the bundled host; skipped with the reason when the integration sent no command
during the run.
"""

from __future__ import annotations

import time

import pytest

from wopi_validator.onlyoffice import callbacks, commands

pytestmark = pytest.mark.onlyoffice

RULE = "OO.CMD.TOKEN"
STILL_EDITING = "wopi-validator-co-editor"
COMMAND_WAIT = 5.0  # seconds an integration may take to send its command after the callback's answer
_POLL = 0.1


def _user_left(key: str) -> dict:
    """A status-1 callback as the Document Server sends it when one user leaves and another still edits."""
    return {**callbacks.fields(key, 1), "users": [STILL_EDITING],
            "actions": [{"type": 0, "userid": callbacks.USER}]}


def _commands_seen(oo, wait: float) -> list[commands.CommandRequest]:
    """Every command of the area's run; when there is none yet, wait up to ``wait`` seconds for one."""
    deadline = time.monotonic() + wait
    while True:
        seen = oo.docserver.commands_since(0)
        if seen or time.monotonic() >= deadline:
            return seen
        time.sleep(_POLL)


@pytest.mark.wopi_rule(RULE)
def test_every_command_request_carries_a_token_covering_its_fields(oo):
    oo.docserver.expect_command_tokens(oo.settings.secret, oo.settings.header)
    session = oo.session()
    # No check before the skip below: a rule judged only by such a step would read as passed.
    url, key = session.callback_url, session.key
    if isinstance(url, str) and url.startswith(("http://", "https://")) and isinstance(key, str) and key:
        oo.send(session, oo.signed(_user_left(key)))
    seen = _commands_seen(oo, min(COMMAND_WAIT, oo.settings.timeout))
    if not seen:
        pytest.skip("the integration sent no command-service request (POST /command) to our Document Server during "
                    "the run, not even a forcesave after a status-1 callback saying a user left: nothing to judge")
    for request in seen:
        found = commands.problems(request, oo.settings.secret)
        oo.check.must(not found, RULE, f"{request.describe()}: {'; '.join(found)}; with inbox JWT on the Document "
                      "Server answers error 6 (\"Invalid token\") or uses only the token's fields")
