"""OO.CALLBACK.* and OO.DOWNLOAD.JWT: the suite plays the Document Server against the config's callbackUrl
(shared/onlyoffice-docs-api.md section 2). Edited files are served by our own server on 127.0.0.1 at signed,
expiring URLs; what the storage holds is read back from document.url with a Document Server download token.
Runs when the area is configured, and in every run of the bundled host.
"""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlsplit

import pytest

from wopi_validator.onlyoffice import callbacks, jwt_checks
from wopi_validator.onlyoffice.harness import Edit, describe_content

pytestmark = pytest.mark.onlyoffice

# DOCS document.md: the key is at most 128 characters of 0-9a-zA-Z-._=
KEY_FORMAT = re.compile(r"[0-9A-Za-z._=-]{1,128}")
EXPIRED_BY = 120  # seconds past exp: well beyond the Document Server's 60 s tolerance
ISSUED_AHEAD = 55  # seconds: within the 60 s tolerance (integrations must allow for clock skew)


@pytest.fixture(scope="session", autouse=True)
def _restore_the_document_at_the_end(oo_run):
    """At the end of the session (after the area's other modules too, before the run's summary is written) the
    document's original bytes are saved back, and the outcome joins what the run lists as stored in the
    integration (OnlyofficeRun.leftovers). Closing the area's run does it too, too late for the summary."""
    yield
    oo_run.restore()


def _open(oo, rule: str):
    """A fresh config, its key, and what the storage holds now."""
    session = oo.session()
    oo.callback_url(session)
    return session, oo.key(session, rule), oo.stored(session, rule, "before the callback")


def _unchanged(oo, session, before: bytes, rule: str, action: str, *, level: str = "must") -> None:
    after = oo.stored(oo.session(), rule, f"after {action}")
    judged = oo.check.must if level == "must" else oo.check.should
    judged(after == before, rule, f"after {action}, document.url serves other content: the bytes differ (before: "
           f"{describe_content(before)}; after: {describe_content(after)}): the callback changed the file")


@pytest.mark.wopi_rule("OO.CALLBACK.METHOD")
def test_callback_answer_is_a_json_object_with_error(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.METHOD")
    action = "POST a signed status-1 callback"
    response = oo.send(session, oo.signed(callbacks.fields(key, 1)))
    oo.check.status(response, 200, "OO.CALLBACK.METHOD", action)
    answer = oo.check.json_object(response, "OO.CALLBACK.METHOD", action)
    oo.check.must("error" in answer, "OO.CALLBACK.METHOD", f"{action}: the JSON answer has no error field", response)


@pytest.mark.wopi_rule("OO.CALLBACK.ERROR0")
@pytest.mark.parametrize("status", [1, 4], ids=["status-1-editing", "status-4-closed-unchanged"])
def test_valid_status_callbacks_are_acknowledged(oo, status):
    session, key, _ = _open(oo, "OO.CALLBACK.ERROR0")
    response = oo.send(session, oo.signed(callbacks.fields(key, status)))
    oo.must_acknowledge(response, "OO.CALLBACK.ERROR0", f"a signed status-{status} callback")


@pytest.mark.wopi_rule("OO.CALLBACK.SAVE2")
def test_status_2_stores_the_edited_file(oo):
    """A save's acknowledgement is judged under its save rule, as status 6's is under SAVE6; OO.CALLBACK.ERROR0 is
    the rule of statuses 1 and 4 (test_valid_status_callbacks_are_acknowledged)."""
    session, key, _ = _open(oo, "OO.CALLBACK.SAVE2")
    edit = Edit(oo, key)
    action = "a signed status-2 callback (body and header token)"
    oo.must_acknowledge(oo.send(session, oo.signed(edit.fields)), "OO.CALLBACK.SAVE2", action)
    stored = oo.stored(oo.session(), "OO.CALLBACK.SAVE2", f"after {action}")
    oo.check.must(stored == edit.content, "OO.CALLBACK.SAVE2",
                  f"after {action} was acknowledged, document.url does not serve the bytes at url (it serves "
                  f"{describe_content(stored)}; url served {describe_content(edit.content)})")


@pytest.mark.wopi_rule("OO.CALLBACK.BODYTOKEN")
def test_a_body_token_alone_is_accepted(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.BODYTOKEN")
    edit = Edit(oo, key)
    action = "a status-2 callback with only the body token"
    oo.must_acknowledge(oo.send(session, oo.signed(edit.fields, header_token=False)), "OO.CALLBACK.BODYTOKEN", action)
    oo.check.must(oo.stored(oo.session(), "OO.CALLBACK.BODYTOKEN", f"after {action}") == edit.content,
                  "OO.CALLBACK.BODYTOKEN", f"after {action}, document.url does not serve the bytes at url")


@pytest.mark.wopi_rule("OO.CALLBACK.HEADERTOKEN")
def test_a_header_token_alone_is_accepted(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.HEADERTOKEN")
    edit = Edit(oo, key)
    action = f"a status-2 callback with only the {oo.settings.header} header token (fields under payload)"
    response = oo.send(session, oo.signed(edit.fields, body_token=False))
    oo.check.should(oo.acknowledged(response), "OO.CALLBACK.HEADERTOKEN",
                    f"{action}: expected {{\"error\":0}}, got {oo.answer_text(response)}", response)
    oo.check.should(oo.stored(oo.session(), "OO.CALLBACK.HEADERTOKEN", f"after {action}") == edit.content,
                    "OO.CALLBACK.HEADERTOKEN", f"after {action}, document.url does not serve the bytes at url")


@pytest.mark.wopi_rule("OO.CALLBACK.SAVE6")
@pytest.mark.parametrize("forcesavetype", [0, 1, 2], ids=["command", "save-button", "timer"])
def test_forcesave_stores_the_edited_file(oo, forcesavetype):
    """Forcesaves by the command service, the Save button and the timer store the file (SAVE: "Force saving");
    a form submission (forcesavetype 3) is judged apart, by test_a_form_submission_is_acknowledged."""
    session, key, _ = _open(oo, "OO.CALLBACK.SAVE6")
    edit = Edit(oo, key, 6, forcesavetype=forcesavetype)
    action = f"a signed status-6 callback (forcesavetype {forcesavetype})"
    response = oo.send(session, oo.signed(edit.fields))
    oo.check.should(oo.acknowledged(response), "OO.CALLBACK.SAVE6",
                    f"{action}: expected {{\"error\":0}}, got {oo.answer_text(response)}", response)
    oo.check.should(oo.stored(oo.session(), "OO.CALLBACK.SAVE6", f"after {action}") == edit.content,
                    "OO.CALLBACK.SAVE6", f"after {action}, document.url does not serve the forcesaved bytes")


@pytest.mark.wopi_rule("OO.CALLBACK.SAVE6")
def test_a_form_submission_is_acknowledged(oo):
    """CB promises a form submission only this: a status-6 callback with forcesavetype 3, ``actions`` naming the
    submitter and ``formsdataurl`` linking the form data, answered with {"error":0}. Integrations store it as a
    separate file (the official example: ``<name>-form.<ext>``), so document.url need not serve the submitted
    bytes; that it still serves the document (before or as submitted) is checked, and which of the two links the
    integration fetched is noted."""
    session, key, before = _open(oo, "OO.CALLBACK.SAVE6")
    started = time.time()
    edit = Edit(oo, key, 6, forcesavetype=callbacks.FORCESAVE_FORM, label="form")
    action = "a signed status-6 callback for a form submission (forcesavetype 3, with formsdataurl)"
    response = oo.send(session, oo.signed(edit.fields))
    oo.check.should(oo.acknowledged(response), "OO.CALLBACK.SAVE6",
                    f"{action}: expected {{\"error\":0}}, got {oo.answer_text(response)}; the submitter sees the "
                    "submission fail", response)
    fetched = {fetch.path for fetch in oo.docserver.fetches_since(started) if fetch.status == 200}
    url_fetched = urlsplit(edit.url).path in fetched
    form_data_fetched = urlsplit(str(edit.form_data_url)).path in fetched
    oo.check.note("OO.CALLBACK.SAVE6", f"{action}: the integration {'fetched' if url_fetched else 'did not fetch'} "
                  f"url (the submitted file) and {'fetched' if form_data_fetched else 'did not fetch'} formsdataurl "
                  "(the form data)")
    after = oo.stored(oo.session(), "OO.CALLBACK.SAVE6", f"after {action}")
    oo.check.should(after in (before, edit.content), "OO.CALLBACK.SAVE6",
                    f"after {action}, document.url serves neither the document as it was nor the submitted file "
                    f"(before: {describe_content(before)}; after: {describe_content(after)})")


@pytest.mark.wopi_rule("OO.CALLBACK.STATUS34")
@pytest.mark.parametrize("status", [3, 7, 4], ids=["status-3-save-error", "status-7-forcesave-error",
                                                   "status-4-closed-unchanged"])
def test_error_and_unchanged_statuses_leave_the_file(oo, status):
    session, key, before = _open(oo, "OO.CALLBACK.STATUS34")
    action = f"a signed status-{status} callback without url"
    # Status 7 as after a failed Save-button forcesave: with its forcesavetype and the user who pressed Save.
    forcesavetype = callbacks.FORCESAVE_BUTTON if status == 7 else None
    oo.send(session, oo.signed(callbacks.fields(key, status, forcesavetype=forcesavetype)))
    _unchanged(oo, session, before, "OO.CALLBACK.STATUS34", action)


@pytest.mark.wopi_rule("OO.CALLBACK.NOTOKEN")
def test_a_callback_without_token_is_refused(oo):
    session, key, before = _open(oo, "OO.CALLBACK.NOTOKEN")
    action = "a status-2 callback with no token (neither in the body nor in a header)"
    oo.must_refuse(oo.send(session, callbacks.unsigned(Edit(oo, key).fields)), "OO.CALLBACK.NOTOKEN", action)
    _unchanged(oo, session, before, "OO.CALLBACK.NOTOKEN", action)


@pytest.mark.wopi_rule("OO.CALLBACK.BADSIG")
@pytest.mark.parametrize("variant", ["wrong-secret", "alg-none", "altered-claims"])
def test_a_badly_signed_callback_is_refused(oo, variant):
    session, key, before = _open(oo, "OO.CALLBACK.BADSIG")
    edit = Edit(oo, key)
    header = oo.settings.header
    if variant == "wrong-secret":
        callback = callbacks.signed(edit.fields, oo.settings.secret + "-not-it", header)
        action = "a status-2 callback signed with another secret"
    elif variant == "alg-none":
        callback = callbacks.alg_none(edit.fields, header)
        action = "a status-2 callback whose tokens have alg none"
    else:
        # Signed as a harmless status 4, then the claims swapped for a save of our bytes.
        callback = callbacks.altered(callbacks.fields(key, 4), edit.fields, oo.settings.secret, header)
        action = "a status-4 callback token altered into a status-2 save (signature kept)"
    oo.must_refuse(oo.send(session, callback), "OO.CALLBACK.BADSIG", action)
    _unchanged(oo, session, before, "OO.CALLBACK.BADSIG", action)


@pytest.mark.wopi_rule("OO.CALLBACK.EXPIRED")
def test_an_expired_callback_token_is_refused(oo):
    session, key, before = _open(oo, "OO.CALLBACK.EXPIRED")
    action = f"a status-2 callback whose tokens expired {EXPIRED_BY} s ago"
    offset = -(callbacks.TOKEN_LIFETIME + EXPIRED_BY)
    oo.must_refuse(oo.send(session, oo.signed(Edit(oo, key).fields, issued_offset=offset)), "OO.CALLBACK.EXPIRED",
                   action)
    _unchanged(oo, session, before, "OO.CALLBACK.EXPIRED", action)


@pytest.mark.wopi_rule("OO.CALLBACK.EXPIRED")
def test_a_callback_token_issued_a_little_ahead_is_accepted(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.EXPIRED")
    edit = Edit(oo, key)
    action = f"a status-2 callback issued {ISSUED_AHEAD} s ahead of our clock (within the 60 s tolerance)"
    response = oo.send(session, oo.signed(edit.fields, issued_offset=ISSUED_AHEAD))
    oo.check.should(oo.acknowledged(response), "OO.CALLBACK.EXPIRED",
                    f"{action}: expected {{\"error\":0}}, got {oo.answer_text(response)}; a Document Server whose "
                    "clock is a little ahead cannot save (no clock leeway)", response)
    oo.check.should(oo.stored(oo.session(), "OO.CALLBACK.EXPIRED", f"after {action}") == edit.content,
                    "OO.CALLBACK.EXPIRED", f"after {action}, document.url does not serve the bytes at url")


@pytest.mark.wopi_rule("OO.CALLBACK.TRUSTPAYLOAD")
def test_the_token_wins_over_contradicting_plain_fields(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.TRUSTPAYLOAD")
    signed_edit, plain_edit = Edit(oo, key, label="signed"), Edit(oo, key, label="plain")
    callback = oo.signed(signed_edit.fields)
    callback = callbacks.Callback({**plain_edit.fields, "token": callback.body["token"]}, callback.headers)
    action = "a status-2 callback whose plain url differs from the url in its tokens"
    oo.send(session, callback)
    stored = oo.stored(oo.session(), "OO.CALLBACK.TRUSTPAYLOAD", f"after {action}")
    oo.check.should(stored != plain_edit.content, "OO.CALLBACK.TRUSTPAYLOAD",
                    f"after {action}, the storage holds the bytes of the unsigned url: plain body fields are trusted "
                    "over the verified token (security)")
    oo.check.should(stored == signed_edit.content, "OO.CALLBACK.TRUSTPAYLOAD",
                    f"after {action}, the storage does not hold the bytes of the signed url")


@pytest.mark.wopi_rule("OO.CALLBACK.UNKNOWNKEY")
def test_a_callback_for_an_unknown_key_writes_nothing(oo):
    session, _, before = _open(oo, "OO.CALLBACK.UNKNOWNKEY")
    unknown = f"wopi-validator-unknown-{secrets.token_hex(8)}"
    action = f"a validly signed status-2 callback for the key {unknown!r}, which the integration never issued"
    oo.send(session, oo.signed(Edit(oo, unknown).fields))
    _unchanged(oo, session, before, "OO.CALLBACK.UNKNOWNKEY", action, level="should")


@pytest.mark.wopi_rule("OO.CALLBACK.IDEMPOTENT")
def test_a_replayed_status_2_callback_stores_no_second_version(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.IDEMPOTENT")
    edit = Edit(oo, key)
    callback = oo.signed(edit.fields)
    oo.must_acknowledge(oo.send(session, callback), "OO.CALLBACK.SAVE2", "a signed status-2 callback")
    after_save = oo.session()
    if oo.session().key != after_save.key:
        pytest.skip("the integration renders a new document.key on every request: a second version cannot be seen")
    action = "the same status-2 callback again (a Document Server retry)"
    response = oo.send(session, callback)
    oo.check.should(oo.acknowledged(response), "OO.CALLBACK.IDEMPOTENT",
                    f"{action}: expected {{\"error\":0}}, got {oo.answer_text(response)}", response)
    after_replay = oo.session()
    oo.check.should(after_replay.key == after_save.key, "OO.CALLBACK.IDEMPOTENT",
                    f"after {action}, document.key changed again: the retry was stored as another version")
    oo.check.should(oo.stored(after_replay, "OO.CALLBACK.IDEMPOTENT", f"after {action}") == edit.content,
                    "OO.CALLBACK.IDEMPOTENT", f"after {action}, document.url no longer serves the saved bytes")


@pytest.mark.wopi_rule("OO.CALLBACK.KEYROTATE")
def test_the_next_config_has_a_new_key_after_a_save(oo):
    session, key, _ = _open(oo, "OO.CALLBACK.KEYROTATE")
    oo.check.must(bool(KEY_FORMAT.fullmatch(key)), "OO.CALLBACK.KEYROTATE",
                  f"document.key {key!r} is not 1-128 characters of 0-9a-zA-Z-._=")
    oo.must_acknowledge(oo.send(session, oo.signed(Edit(oo, key).fields)), "OO.CALLBACK.SAVE2",
                        "a signed status-2 callback")
    new_key = oo.key(oo.session(), "OO.CALLBACK.KEYROTATE")
    oo.check.must(new_key != key, "OO.CALLBACK.KEYROTATE",
                  "after a status-2 save the next config still has the same document.key: editors would open the "
                  "cached old version")
    oo.check.must(bool(KEY_FORMAT.fullmatch(new_key)), "OO.CALLBACK.KEYROTATE",
                  f"document.key {new_key!r} is not 1-128 characters of 0-9a-zA-Z-._=")


@pytest.mark.wopi_rule("OO.CALLBACK.URLHOST")
def test_a_url_on_another_port_is_not_fetched(oo):
    session, key, before = _open(oo, "OO.CALLBACK.URLHOST")
    started = time.time()
    edit = Edit(oo, key, server=oo.decoy)
    action = f"a signed status-2 callback whose url is on {oo.decoy.origin}, not the Document Server's port"
    oo.send(session, oo.signed(edit.fields))
    fetched = oo.decoy.fetches_since(started)
    oo.check.should(not fetched, "OO.CALLBACK.URLHOST",
                    f"after {action}, the integration downloaded it: any callback can make it fetch any URL "
                    "(SSRF; security)")
    _unchanged(oo, session, before, "OO.CALLBACK.URLHOST", action, level="should")


@pytest.mark.wopi_rule("OO.CALLBACK.FAILNONZERO")
@pytest.mark.parametrize("failure", ["404", "hangs"])
def test_a_failed_download_is_not_acknowledged(oo, failure):
    session, key, before = _open(oo, "OO.CALLBACK.FAILNONZERO")
    data = Edit(oo, key).fields
    data["url"] = oo.docserver.missing_url() if failure == "404" else oo.docserver.stalling_url()
    action = "a signed status-2 callback whose url " + ("answers 404" if failure == "404" else
                                                        "sends a few bytes and then hangs")
    oo.must_refuse(oo.send(session, oo.signed(data)), "OO.CALLBACK.FAILNONZERO", action)
    _unchanged(oo, session, before, "OO.CALLBACK.FAILNONZERO", action)


@pytest.mark.wopi_rule("OO.DOWNLOAD.JWT")
@pytest.mark.parametrize("token", ["none", "wrong-secret"])
def test_document_url_needs_a_document_server_token(oo, token):
    if not oo.settings.download_jwt:
        pytest.skip("the integration does not claim to check download tokens (--oo-download-jwt)")
    url = oo.session().document_url
    headers = {}
    if token == "wrong-secret":
        claims = {"payload": {"url": url}, "iat": int(time.time()), "exp": int(time.time()) + 300}
        headers[oo.settings.header] = callbacks.BEARER + callbacks.remember(
            jwt_checks.sign(claims, oo.settings.secret + "-not-it"))
    action = "GET document.url " + ("without a token" if token == "none" else "with a token of another secret")
    response = oo.client.request("GET", url=str(url), headers=headers)
    oo.check.should(response.status != 200, "OO.DOWNLOAD.JWT",
                    f"{action}: answered 200 with the file; anyone who learns the url can download it (security)",
                    response)
