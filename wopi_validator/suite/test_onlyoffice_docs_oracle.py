"""OO.JWT.NOORACLE: no endpoint of the integration signs a config a client sends (shared/onlyoffice-docs-api.md,
NO-ORACLE). The test POSTs the integration's own config, with every permission granted, another user and a
document.url on another host, to the config-signing endpoint the user names (``oo_sign_endpoint``), and fails when
a token of the answer verifies with the secret and carries any of them. Runs when that endpoint is given (and in
the runs of the bundled host, which has one); skipped with the option's name otherwise.
"""

from __future__ import annotations

import json
import secrets

import pytest

from wopi_validator.onlyoffice import callbacks, oracle
from wopi_validator.settings import option_name

pytestmark = pytest.mark.onlyoffice

RULE = "OO.JWT.NOORACLE"


@pytest.mark.wopi_rule(RULE)
def test_no_endpoint_signs_a_config_a_client_sends(oo):
    template = oo.settings.sign_endpoint
    if not template:
        pytest.skip(f"no config-signing endpoint of the integration is given: {option_name('oo_sign_endpoint')} URL "
                    "(an endpoint that signs an editor config a client POSTs) has it probed")
    session = oo.session()
    plain = {name: value for name, value in session.config.items() if name != "token"}
    marker = secrets.token_hex(6)
    config, injections = oracle.probe_config(plain, marker, oo.decoy.publish(f"PK decoy {marker}".encode()))
    url = oracle.endpoint_url(template, session.key)
    response = oo.client.request("POST", url, headers={"Content-Type": "application/json",
                                                       "Accept": "application/json"}, body=json.dumps(config).encode())
    signed = []
    for token in oracle.tokens_in(response.body):
        signed += oracle.signed_injections(callbacks.remember(token), oo.settings.secret, injections)
    oo.check.should(not signed, RULE,
                    f"POST {url} with the integration's config and values of the client's choosing answered a token "
                    f"that verifies with the secret and signs {'; '.join(dict.fromkeys(signed))}: anyone who can "
                    "reach it can open documents with any permissions, as any user, from any URL", response)
