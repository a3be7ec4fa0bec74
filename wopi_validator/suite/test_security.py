"""Host security probes (marker ``security``, on by default; ``-m "not security"`` leaves them out).

Hostile names (path separators, ``..``, NUL, reserved device names, very long names) in PutRelativeFile,
RenameFile and CreateChildFile (with SupportsContainers), oversized header values and lock IDs, the scope of
the token in a PutRelativeFile Url, and UserInfo across users. A host may refuse a hostile request with any
4xx, or accept it and make it harmless (a sanitised name that still opens the file); it must never crash on
it (a 5xx) and never store a name that is a path. Names go UTF-7 encoded, as WOPI sends them (a NUL becomes
``+AAA-``).

Every probe works on what this run created (a sandbox file, the files PutRelativeFile or CreateChildFile
make, and for CreateChildFile a sandbox container; all tracked for clean-up), except the UserInfo probe,
which uses the seed file only as an address and puts the second user's UserInfo back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from wopi_validator.errors import TransportError
from wopi_validator.judging.verdicts import block
from wopi_validator.run.containers import SandboxContainer, SandboxContainers
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.suite.container_steps import ContainerWorld, parent_container
from wopi_validator.suite.steps import (
    base_file_name,
    block_if_declared_but_not_implemented,
    check_file_info,
    new_lock_id,
    not_implemented_cause,
    put_relative,
    refused_as_unauthorised,
    take_lock,
    track_created_file,
)
from wopi_validator.tokens import OTHER_USER
from wopi_validator.wopi.client import WopiClient, WopiResponse

pytestmark = pytest.mark.security

CONTENT = b"wopi-validator: a security probe\n"
# Name templates; {u} is a unique name of this run without extension, {ext} the seed's extension.
TRAVERSAL = {
    "dotdot-slash": "../{u}{ext}",
    "dotdot-backslash": "..\\{u}{ext}",
    "deep-dotdot": "../../../../../../../../tmp/{u}{ext}",
    "subfolder-slash": "sub/{u}{ext}",
    "subfolder-backslash": "sub\\{u}{ext}",
    "absolute": "/{u}{ext}",
    "drive-absolute": "C:\\Windows\\{u}{ext}",
    "nul-truncation": "{u}\x00.exe{ext}",
    "percent-encoded-dotdot": "..%2F..%2F{u}{ext}",
}
# "NUL.tar.gz" is NUL to Windows as well: the part before the first dot decides, so a unique tail keeps
# every probe from meeting a real file of that name.
DEVICES = ["CON", "NUL", "COM1", "LPT1"]
WINDOWS_DEVICES = frozenset(["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
                            + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789¹²³"])
LONG = {
    "4096-characters": lambda unique: unique + "x" * (4096 - len(unique)),
    # 200 characters, but 600 bytes of UTF-8: over the 255-byte limit of ext4 and NTFS names.
    "200-cjk-characters": lambda unique: unique + "日" * 200,
}
OVERSIZE = 16 * 1024
MODES = ["putrelative-suggested", "putrelative-specific", "rename", "createchildfile-suggested",
         "createchildfile-specific"]
NEEDS = {"rename": ("PutRelativeFile", "SupportsRename", "UserCanRename"),
         "createchildfile-suggested": ("SupportsContainers",), "createchildfile-specific": ("SupportsContainers",)}
NAME_HEADERS = {"putrelative-suggested": "X-WOPI-SuggestedTarget", "putrelative-specific": "X-WOPI-RelativeTarget",
                "rename": "X-WOPI-RequestedName", "createchildfile-suggested": "X-WOPI-SuggestedTarget",
                "createchildfile-specific": "X-WOPI-RelativeTarget"}


def _path_problem(name: str) -> str | None:
    for part, what in (("/", "a '/'"), ("\\", "a '\\'"), ("\x00", "a NUL character")):
        if part in name:
            return f"holds {what}: it is a path, not a file name"
    if name.strip() in {".", ".."}:
        return "is a relative path component"
    return None


def _device(name: str) -> str | None:
    device = name.split(".", 1)[0].rstrip(" ").upper()
    return device if device in WINDOWS_DEVICES else None


@dataclass
class Probe:
    """Where a name probe sends its names: the sandbox file (PutRelativeFile's source, RenameFile's subject), and
    for CreateChildFile a sandbox container of the test's own (made only for those modes)."""

    files: SandboxFiles
    file: SandboxFile | None
    world: ContainerWorld | None = None
    box: SandboxContainer | None = None

    @property
    def subject(self) -> WopiClient:
        """The client of what the probe works on: after a closed connection, it must still answer a GET."""
        if self.box is not None:
            return self.box.client
        assert self.file is not None
        return self.file.client


@pytest.fixture
def probe(request, wopi_target, wopi_seed, wopi_new_file, wopi_check) -> Iterator[Probe]:
    mode = request.node.callspec.params["mode"]
    # Marker-level requirements cannot depend on a parameter: the mode's capabilities are checked here.
    missing = wopi_target.capabilities.missing(NEEDS.get(mode, ("PutRelativeFile",)))
    if missing:
        pytest.skip(f"the host does not declare {', '.join(missing)} in CheckFileInfo")
    if not mode.startswith("createchildfile"):
        file = wopi_new_file()
        if mode.startswith("putrelative"):
            _block_unless_plain_names_work(wopi_target, wopi_new_file, file, mode)
        yield Probe(wopi_new_file, file)
        return
    containers = SandboxContainers(wopi_target, wopi_new_file)
    try:
        parent, protected = parent_container(wopi_seed, wopi_check)
        containers.protected |= protected
        world = ContainerWorld(wopi_target, wopi_check, wopi_new_file, containers, parent)
        box = world.sandbox("sec")
        yield Probe(wopi_new_file, None, world, box)
    finally:
        containers.release_all()


def _block_unless_plain_names_work(target: Target, files: SandboxFiles, file: SandboxFile, mode: str) -> None:
    """A name probe through PutRelativeFile judges the host's handling of hostile names only when a plain name
    works in that mode: where the mode is broken for every name, that is PutRelativeFile's own rule (tested in
    test_putrelative.py), and the probes are blocked, not failed. Asked once per mode and run."""
    controls = target.name_probe_controls
    if mode not in controls:
        option = "suggested" if mode.endswith("-suggested") else "relative"
        response = file.client.put_relative_file(CONTENT, **{option: target.unique_name("control")})
        made = track_created_file(files, response, may_be_501=True)
        controls[mode] = None if response.status == 200 and made is not None else not_implemented_cause(
            target, response) or (
            f"PutRelativeFile ({option} mode) with a plain name answered {response.status}"
            + (" without a usable Url" if response.status == 200 else "")
            + ": the name probes through it cannot tell how hostile names are handled")
    if controls[mode] is not None:
        block(controls[mode])


def _accepted(check, response: WopiResponse, rule_id: str, action: str) -> bool:
    """True when the host took the request (200) and the result must be inspected; False for a 4xx refusal."""
    check.must(response.status < 500, rule_id,
               f"{action} answered {response.status}: a hostile request must be refused with a 4xx or made "
               "harmless, never crash the host", response)
    if 400 <= response.status < 500:
        return False
    check.status(response, 200, rule_id, action)
    return True


def _send_name(probe: Probe, mode: str, name: str, stem: str) -> WopiResponse:
    """PutRelativeFile or CreateChildFile (suggested or specific) with the full ``name``, or RenameFile to ``stem``.
    A file the host creates is tracked for clean-up before anything is checked."""
    if mode == "rename":
        assert probe.file is not None
        response = probe.file.client.rename_file(stem)
        block_if_declared_but_not_implemented(probe.files.target, response)
        return response
    option = "suggested" if mode.endswith("-suggested") else "relative"
    if probe.world is not None and probe.box is not None:
        response = probe.box.client.create_child_file(**{option: name})
        probe.world.track_file(response)
        return response
    assert probe.file is not None
    response = probe.file.client.put_relative_file(CONTENT, **{option: name})
    track_created_file(probe.files, response)
    return response


def _resulting_names(probe: Probe, mode: str, response: WopiResponse, check, rule_id: str,
                     action: str) -> tuple[str | None, str, SandboxFile]:
    """After a 200: the Name the host reported (None when it sent none), the BaseFileName CheckFileInfo now
    shows, and the file that has it. The file must be reachable: through the returned Url, or (RenameFile) its id."""
    body = check.json_object(response, rule_id, action) if response.body.strip() or mode != "rename" else {}
    reported = body.get("Name")
    reported = reported if isinstance(reported, str) else None
    if mode == "rename":
        made: SandboxFile | None = probe.file
    elif probe.world is not None:
        made = probe.world.track_file(response)
    else:
        made = track_created_file(probe.files, response)
    check.must(made is not None, rule_id,
               f"{action} answered 200 with Url {body.get('Url')!r}: the new file must be reachable through a "
               "Url with an access_token", response)
    assert made is not None
    stored = base_file_name(made.client, check, rule_id, f"CheckFileInfo of the file after {action}")
    return reported, stored, made


def _names(target: Target, template: str) -> tuple[str, str]:
    """(full name, stem) for a template: RenameFile takes names without extension."""
    unique = target.unique_name("sec", "")
    return template.format(u=unique, ext=target.extension), template.format(u=unique, ext="")


@pytest.mark.wopi_rule("SEC.NAME.TRAVERSAL")
@pytest.mark.parametrize("variant", list(TRAVERSAL))
@pytest.mark.parametrize("mode", MODES)
def test_names_with_paths_are_refused_or_sanitised(wopi_target, probe, wopi_check, mode,
                                                   variant):
    name, stem = _names(wopi_target, TRAVERSAL[variant])
    action = f"{mode} with the name {(stem if mode == 'rename' else name)!r}"
    response = _send_name(probe, mode, name, stem)
    if not _accepted(wopi_check, response, "SEC.NAME.TRAVERSAL", action):
        return
    reported, stored, _ = _resulting_names(probe, mode, response, wopi_check,
                                           "SEC.NAME.TRAVERSAL", action)
    for label, value in (("the Name answered", reported), ("BaseFileName", stored)):
        problem = _path_problem(value) if value is not None else None
        wopi_check.must(problem is None, "SEC.NAME.TRAVERSAL",
                        f"after {action}, {label} {value!r} {problem}; the host must refuse such a name (4xx) or "
                        "sanitise it, or it stores files outside the folder", response)


@pytest.mark.wopi_rule("SEC.NAME.RESERVED")
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", MODES)
def test_reserved_device_names_are_refused_or_renamed(wopi_target, probe, wopi_check, mode,
                                                      device):
    name, stem = _names(wopi_target, device + ".{u}{ext}")
    action = f"{mode} with the name {(stem if mode == 'rename' else name)!r} (the device {device} to Windows)"
    response = _send_name(probe, mode, name, stem)
    if not _accepted(wopi_check, response, "SEC.NAME.RESERVED", action):
        return
    reported, stored, _ = _resulting_names(probe, mode, response, wopi_check,
                                           "SEC.NAME.RESERVED", action)
    wopi_check.should(_device(stored) is None, "SEC.NAME.RESERVED",
                      f"after {action}, BaseFileName is {stored!r}: Windows and SMB clients open the device "
                      f"{_device(stored)}, not the file; refuse the name (4xx) or rename it", response)


@pytest.mark.wopi_rule("SEC.NAME.LONG")
@pytest.mark.parametrize("length", list(LONG))
@pytest.mark.parametrize("mode", MODES)
def test_very_long_names_are_refused_or_kept_whole(wopi_target, probe, wopi_check, mode, length):
    stem = LONG[length](wopi_target.unique_name("long", ""))
    name = stem + wopi_target.extension
    action = f"{mode} with a name of {len(stem if mode == 'rename' else name)} characters ({length})"
    response = _send_name(probe, mode, name, stem)
    if not _accepted(wopi_check, response, "SEC.NAME.LONG", action):
        return
    reported, stored, _ = _resulting_names(probe, mode, response, wopi_check, "SEC.NAME.LONG",
                                           action)
    if reported is not None:
        # A host that cuts the name in one place (its file system) and not in another (its database) shows here.
        expected = reported if mode != "rename" else reported + wopi_target.extension
        wopi_check.must(stored == expected, "SEC.NAME.LONG",
                        f"after {action}, the answer names the file {_preview(expected)} but CheckFileInfo says "
                        f"{_preview(stored)}", response)


def _oversized(label: str, target: Target) -> str:
    unique = target.unique_name(label, "")
    return unique + "x" * (OVERSIZE - len(unique))


def _probe(call: Callable[[], WopiResponse]) -> WopiResponse | str:
    """The answer, or why there was none."""
    try:
        return call()
    except TransportError as exc:
        return str(exc)


def _judge_oversized(check, answer: WopiResponse | str, rule_id: str, action: str, subject: WopiClient) -> bool:
    """Refused with a 4xx: False; accepted (200): True, inspect. A closed connection is a SHOULD failure, and the
    host must answer the next request; a 5xx or a timeout fails."""
    if isinstance(answer, str):
        closed = "closed the connection" in answer or "broke off" in answer
        check.must(closed, rule_id, f"{action} got no answer: {answer}")
        check.should(False, rule_id, f"{action}: the host closed the connection without an answer; RFC 9110 "
                     "section 5.4 asks for a 4xx (400 or 431) to a header larger than the host will process")
        after = subject.request("GET")
        check.must(after.status == 200, rule_id,
                   f"after closing the connection on {action}, a GET of the same resource answered {after.status}",
                   after)
        return False
    return _accepted(check, answer, rule_id, action)


@pytest.mark.wopi_rule("SEC.HEADER.OVERSIZE")
@pytest.mark.parametrize("mode", MODES)
def test_a_16_kib_name_header_is_refused_without_a_5xx(wopi_target, probe, wopi_check, mode):
    stem = _oversized("oversize", wopi_target)
    name = stem + wopi_target.extension
    header = NAME_HEADERS[mode]
    action = f"{mode} with a {len(name if mode != 'rename' else stem)}-byte {header}"
    answer = _probe(lambda: _send_name(probe, mode, name, stem))
    if _judge_oversized(wopi_check, answer, "SEC.HEADER.OVERSIZE", action, probe.subject):
        assert isinstance(answer, WopiResponse)
        # Accepted: whatever name the host settled on must open the file.
        _resulting_names(probe, mode, answer, wopi_check, "SEC.HEADER.OVERSIZE", action)


def _oversized_lock_calls(held: str | None) -> dict[str, Callable[[WopiClient, str], WopiResponse]]:
    return {
        "Lock": lambda client, big: client.lock(big),
        "UnlockAndRelock": lambda client, big: client.unlock_and_relock(big, held),
        "RefreshLock": lambda client, big: client.refresh_lock(big),
        "Unlock": lambda client, big: client.unlock(big),
        "PutFile": lambda client, big: client.put_file(CONTENT, lock=big),
    }


@pytest.mark.wopi_rule("SEC.LOCK.OVERSIZE")
@pytest.mark.wopi_requires("SupportsLocks")
@pytest.mark.parametrize("operation", list(_oversized_lock_calls(None)))
def test_a_16_kib_lock_id_is_refused_without_a_5xx(wopi_target, wopi_file, wopi_check, operation):
    client = wopi_file.client
    # Lock probes an unlocked file; the others a file locked with an ordinary lock, which the big one never matches.
    held = None if operation == "Lock" else new_lock_id("held")
    if held is not None:
        take_lock(client, wopi_check, held)
    big = f"wopi-validator-oversized-{uuid.uuid4()}-" + "L" * OVERSIZE
    big = big[:OVERSIZE]
    action = f"{operation} with a {len(big)}-character X-WOPI-Lock" + (" on a file locked with another lock"
                                                                       if held else " on an unlocked file")
    answer = _probe(lambda: _oversized_lock_calls(held)[operation](client, big))
    if not isinstance(answer, WopiResponse) or answer.status != 200:
        # Lock and UnlockAndRelock note the ID for clean-up; an Unlock with an ID the host refused to take would
        # only get a 400, and clean-up stops at the first answer that is not a 409.
        client.locks_sent[:] = [lock for lock in client.locks_sent if lock != big]
    if not _judge_oversized(wopi_check, answer, "SEC.LOCK.OVERSIZE", action, wopi_file.client):
        return
    assert isinstance(answer, WopiResponse)
    wopi_check.must(operation in {"Lock", "UnlockAndRelock"}, "SEC.LOCK.OVERSIZE",
                    f"{action} answered 200: a lock ID that does not match the current lock must be refused",
                    answer)
    # Accepted: the host must then hold the lock exactly as sent, not a truncated copy that another ID matches.
    response = client.unlock(big)
    wopi_check.must(response.status == 200, "SEC.LOCK.OVERSIZE",
                    f"{action} answered 200, but Unlock with the same ID answered {response.status}: the host kept "
                    "a different lock than it acknowledged", response)


@pytest.mark.wopi_rule("SEC.PUTREL.URL.SCOPE")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.wopi_needs("creates")
def test_the_token_in_a_putrelative_url_opens_only_the_new_file(wopi_target, wopi_new_file, wopi_file, wopi_check):
    action = "PutRelativeFile in specific mode"
    # Making the file is PutRelativeFile's own rule: a host whose specific mode is broken fails that, not this.
    created = put_relative(wopi_new_file, wopi_file.client, wopi_check, "PUTREL.RELATIVE.EXACT", action, CONTENT,
                           relative=wopi_target.unique_name("scope"))
    wopi_check.must(created.file.wopi_src != wopi_file.wopi_src, "SEC.PUTREL.URL.SCOPE",
                    f"{action}: the Url names the source file, not a new one", created.response)
    on_source = wopi_file.client.with_token(created.file.token)
    for name, call in (("CheckFileInfo", on_source.check_file_info), ("GetFile", on_source.get_file)):
        refused_as_unauthorised(wopi_check, call(), "SEC.PUTREL.URL.SCOPE",
                                f"{name} of the source file with the token from PutRelativeFile's Url")


@pytest.mark.wopi_rule("SEC.USERINFO.ISOLATION")
@pytest.mark.wopi_requires("SupportsUserInfo")
def test_one_users_userinfo_is_not_shown_to_another(wopi_target, wopi_provider, wopi_seed, wopi_check):
    if not wopi_provider.can(OTHER_USER):
        pytest.skip(wopi_provider.cannot(OTHER_USER) + ": a second user's token is needed")
    other_token = wopi_provider.issue_other_user(wopi_target.config.target)
    other = wopi_seed.for_file(other_token.wopi_src, other_token.token)
    first_info = check_file_info(wopi_seed, wopi_check, "CheckFileInfo as the run's user")
    other_info = check_file_info(other, wopi_check, "CheckFileInfo as the second user")
    if first_info.get("UserId") == other_info.get("UserId"):
        pytest.skip(f"the provider's second token acts for the same UserId {first_info.get('UserId')!r}")
    original = other_info.get("UserInfo")
    secret = f"wopi-validator {wopi_target.run_id} private user info {uuid.uuid4()}"
    try:
        response = other.put_user_info(secret)
        wopi_check.status(response, 200, "USERINFO.PUT", "PutUserInfo as the second user")
        seen = check_file_info(wopi_seed, wopi_check, "CheckFileInfo as the run's user").get("UserInfo")
        wopi_check.must(not (isinstance(seen, str) and secret in seen), "SEC.USERINFO.ISOLATION",
                        f"CheckFileInfo for user {first_info.get('UserId')!r} shows the UserInfo user "
                        f"{other_info.get('UserId')!r} just saved; UserInfo belongs to one user")
    finally:
        other.put_user_info(original if isinstance(original, str) else "")


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(str(value))} characters)"
