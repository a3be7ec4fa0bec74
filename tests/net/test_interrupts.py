"""interrupts.py: Ctrl-C and SIGTERM are never raised inside a request, and a second one ends the process at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tests import rawserver
from wopi_validator.commands import pytest_session
from wopi_validator.net import interrupts
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.wopi.client import ClientSettings, WopiClient


def interrupt_me(signum: int = signal.SIGINT) -> None:
    os.kill(os.getpid(), signum)


def test_outside_a_critical_section_an_interrupt_is_raised_at_once():
    with interrupts.handling_interrupts():
        with pytest.raises(KeyboardInterrupt):
            interrupt_me()
            time.sleep(5)  # the handler runs at the next bytecode; the sleep is interrupted


def test_an_interrupt_inside_a_section_that_ends_with_an_answer_comes_just_after_it():
    done = []
    with interrupts.handling_interrupts():
        with pytest.raises(KeyboardInterrupt, match="SIGINT"):
            with interrupts.critical():
                with interrupts.critical():  # sections nest
                    interrupt_me()
                    time.sleep(0.05)
                    done.append("inner")
                done.append("outer")
            done.append("the caller acts on the answer")
            left = time.monotonic()
            time.sleep(5)
        assert time.monotonic() - left < interrupts.DEFERRED_AT_MOST + 1
    assert done == ["inner", "outer", "the caller acts on the answer"]


def test_a_deferred_interrupt_comes_before_the_next_section_sends_anything():
    sent = []
    with interrupts.handling_interrupts():
        with interrupts.critical():
            interrupt_me()
            time.sleep(0.05)
        with pytest.raises(KeyboardInterrupt):
            with interrupts.critical():
                sent.append("request")
    assert sent == []


def test_an_interrupt_inside_a_section_that_fails_comes_at_once_in_place_of_the_error():
    with interrupts.handling_interrupts():
        with pytest.raises(KeyboardInterrupt):
            with interrupts.critical():
                interrupt_me()
                time.sleep(0.05)
                raise ValueError("no answer")


def test_sigterm_ends_the_run_as_ctrl_c_does():
    with interrupts.handling_interrupts():
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            interrupt_me(signal.SIGTERM)
            time.sleep(5)


def test_the_outermost_restore_puts_the_previous_handlers_back():
    def mine(signum, frame):
        raise AssertionError("not restored")

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        outer = interrupts.install()
        inner = interrupts.install()
        inner.restore()
        assert signal.getsignal(signal.SIGTERM) is not mine
        outer.restore()
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert not interrupts.installed()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_sigint_the_process_inherited_as_ignored_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.handling_interrupts():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_off_the_main_thread_nothing_is_installed():
    outcome = []

    def off_main() -> None:
        installation = interrupts.install()
        outcome.append(interrupts.installed())
        with interrupts.critical():  # no effect, no error
            pass
        installation.restore()

    thread = threading.Thread(target=off_main)
    thread.start()
    thread.join()
    assert outcome == [False]


def test_a_request_interrupted_on_the_wire_completes_and_its_pool_stays_usable():
    """The deadlock the issue saw: a KeyboardInterrupt inside urllib3's pool left a lock held for the clean-up."""
    def answer_late(conn) -> None:
        while conn.recv(65536):
            time.sleep(0.6)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    server = rawserver.RawServer(answer_late)
    client = WopiClient(HttpTransport(), server.wopi_src, "tok-interrupt", ClientSettings(timeout=5), Transcript())
    try:
        with interrupts.handling_interrupts():
            threading.Timer(0.2, interrupt_me).start()
            with pytest.raises(KeyboardInterrupt):
                answer = client.check_file_info()  # the answer came within the grace a Ctrl-C gives
                assert answer.status == 200  # and the caller gets it, to act on, before the interrupt
                time.sleep(5)
            start = time.monotonic()
            assert client.check_file_info().status == 200  # the same pool: no lock was left held
            assert time.monotonic() - start < 3
    finally:
        client.transport.close()
        server.close()


_CHILD = """
import os, signal, sys, time
from pathlib import Path
from wopi_validator.net import interrupts

interrupts.install(Path("/reports/run-7"))
print("ready", flush=True)
{body}
print("survived", flush=True)
"""


def run_child(body: str) -> subprocess.CompletedProcess[str]:
    script = _CHILD.format(body=textwrap.dedent(body))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("body", [
    # the first one pending in a request, the second one arrives
    """
    with interrupts.critical():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """,
    # the first one delivered, the clean-up that follows is interrupted again
    """
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    except KeyboardInterrupt:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    """,
], ids=["pending", "delivered"])
def test_a_second_interrupt_ends_the_process_at_once_naming_the_ledger(body):
    start = time.monotonic()
    result = run_child(body)
    assert time.monotonic() - start < 5
    assert result.returncode == 130
    assert "survived" not in result.stdout
    assert result.stderr == ("interrupted again: stopping now; the ledger in /reports/run-7 lists what is left: "
                             "wopi-validator cleanup /reports/run-7\n")


def test_a_first_interrupt_lets_the_clean_up_finish_and_a_second_one_stops_it():
    result = run_child("""
    try:
        with interrupts.cleaning_up():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            print("cleaned up", flush=True)
    except KeyboardInterrupt:
        print("then interrupted", flush=True)
    interrupts.install()  # a second run in the same process
    with interrupts.cleaning_up():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    """)
    assert result.stdout.splitlines() == ["ready", "cleaned up", "then interrupted"]
    assert result.returncode == 130
    assert result.stderr.startswith("interrupted again: stopping now; the ledger in /reports/run-7")


def test_a_clean_up_that_ends_the_run_itself_takes_the_interrupt_instead_of_raising_it():
    with interrupts.handling_interrupts():
        with interrupts.cleaning_up(deliver=False) as cleanup:
            interrupt_me()
            time.sleep(0.05)
        assert cleanup.interrupted
        time.sleep(interrupts.DEFERRED_AT_MOST + 0.3)  # no KeyboardInterrupt comes later either


def test_an_interrupt_deferred_by_the_last_request_waits_for_the_clean_up_that_follows():
    done = []
    with interrupts.handling_interrupts():
        with pytest.raises(KeyboardInterrupt):
            with interrupts.critical():  # the last request of a test's teardown
                interrupt_me()
                time.sleep(0.05)
            with interrupts.cleaning_up():  # the sweep starts at once
                with interrupts.critical():
                    done.append("swept")
                time.sleep(interrupts.DEFERRED_AT_MOST + 0.2)  # the timer's delivery waits too
                done.append("ledger closed")
    assert done == ["swept", "ledger closed"]


def test_the_ledger_folder_may_be_given_as_a_function_and_be_unknown():
    result = run_child("""
    interrupts.set_ledger_folder(lambda: None)
    with interrupts.critical():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    """)
    assert result.returncode == 130
    assert "no ledger was kept" in result.stderr


def test_the_cli_handles_interrupts_around_pytest_and_one_outside_its_session_is_130(monkeypatch, tmp_path, capsys):
    seen = []

    def main(args, plugins):
        seen.append(interrupts.installed())
        raise KeyboardInterrupt

    monkeypatch.setattr(pytest_session.pytest, "main", main)
    assert pytest_session.run_pytest([], tmp_path) == 130
    assert seen == [True]
    assert capsys.readouterr().err == "wopi-validator: interrupted\n"
    assert not interrupts.installed()


def test_a_session_that_is_not_a_wopi_run_installs_nothing(pytester):
    pytester.makepyfile("""
        import signal

        def test_handlers_are_pythons():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_interrupt_in_a_frame_without_a_line_number_ends_the_run_as_interrupted(pytester):
    # Python 3.11 leaves a frame interrupted on an instruction of its own (here, inside a with/except) without a
    # line number; pytest's terminal reporter then failed to format the interrupt (TypeError: exit 1 and a pytest
    # traceback instead of an interrupted run: seen in CI).
    pytester.makepyfile("""
        import sys
        import types

        def frame_with_an_instruction_of_no_line():
            frame = sys._getframe()
            try:
                with open(__file__) as handle:
                    del handle
            except OSError as exc:
                del exc
            return frame

        def test_interrupted():
            frame = frame_with_an_instruction_of_no_line()
            offset = next(start for start, _, line in frame.f_code.co_lines() if line is None)
            lineless = types.TracebackType(None, frame, offset, -1)
            assert lineless.tb_lineno is None
            raise KeyboardInterrupt().with_traceback(lineless)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, output
    assert "TypeError" not in output
    assert "KeyboardInterrupt" in output


def test_a_ctrl_c_waiting_on_a_hung_request_cuts_it_short_a_second_later():
    server = rawserver.RawServer(rawserver.hang)
    client = WopiClient(HttpTransport(), server.wopi_src, "tok-hung", ClientSettings(timeout=30), Transcript())
    try:
        with interrupts.handling_interrupts():
            threading.Timer(0.3, interrupt_me).start()
            start = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                client.check_file_info()
            assert time.monotonic() - start < 3  # the grace (1 s) and the watchdog's look (every 0.2 s)
        assert client.transcript.exchanges[-1].error == "interrupted before the answer was complete"
        assert client.settings.health.tripped is None and client.settings.health._misses == 0
    finally:
        client.transport.close()
        server.close()
