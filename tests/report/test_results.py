import pytest

from wopi_validator.report.console import area_table, blocked_paragraphs
from wopi_validator.report.results import ResultCollector


def make_report(nodeid, when, outcome, props, longrepr=None):
    return pytest.TestReport(nodeid, ("m.py", 1, nodeid), {}, outcome, longrepr, when, user_properties=props)


def add_test(collector, nodeid, props, outcome="passed", longrepr=None, when="call"):
    """The setup, call and teardown reports of one test whose ``when`` phase ended with ``outcome``."""
    for phase in ("setup", "call", "teardown"):
        if phase == when:
            collector.add(make_report(nodeid, phase, outcome, props, longrepr))
            if outcome != "passed" and phase == "setup":
                collector.add(make_report(nodeid, "teardown", "passed", props))
                return
        else:
            collector.add(make_report(nodeid, phase, "passed", props))


def test_verdicts_per_test_rule_and_area():
    collector = ResultCollector()
    base = [("wopi_area", "locks"), ("wopi_rule", "LOCK.ACQUIRE")]
    add_test(collector, "t1", base + [("wopi_judged", "LOCK.ACQUIRE pass")])
    add_test(collector, "t2", base + [("wopi_judged", "LOCK.ACQUIRE pass"), ("wopi_judged", "LOCK.ACQUIRE warn"),
                                      ("wopi_warning", "[LOCK.ACQUIRE] hmm")])
    add_test(collector, "t3", [("wopi_area", "putfile"), ("wopi_rule", "PUTFILE.EDITORS")], "skipped",
             ("m.py", 1, "Skipped: no SupportsLocks"), when="setup")
    add_test(collector, "t4", [("wopi_area", "locks"), ("wopi_rule", "LOCK.OPAQUE"),
                               ("wopi_judged", "LOCK.OPAQUE fail")], "failed", "[LOCK.OPAQUE] boom")
    collector.add(make_report("not-ours", "call", "passed", []))
    verdicts = {nodeid: result.verdict for nodeid, result in collector.results.items()}
    assert verdicts == {"t1": "pass", "t2": "warn", "t3": "skip", "t4": "fail"}
    assert collector.results["t3"].message == "no SupportsLocks"
    rules = collector.by_rule()
    assert rules["LOCK.ACQUIRE"]["verdict"] == "warn" and rules["LOCK.OPAQUE"]["verdict"] == "fail"
    assert rules["LOCK.ACQUIRE"]["counts"] == {"pass": 1, "warn": 1}
    assert rules["PUTFILE.EDITORS"]["verdict"] == "skip"
    table = "\n".join(area_table(collector))
    assert "locks" in table and "putfile" in table and "rules" in table


def test_a_rule_is_failed_only_by_the_check_that_judged_it_never_by_message_text():
    collector = ResultCollector()
    props = [("wopi_area", "locks"), ("wopi_rule", "LOCK.ITEMVERSION"), ("wopi_rule", "LOCK.OPAQUE")]
    # The test broke on its LOCK.ACQUIRE step, before judging either of its own rules; its message names another.
    add_test(collector, "t", props + [("wopi_judged", "LOCK.ACQUIRE fail")], "failed",
             "[LOCK.ACQUIRE] Lock answered 500; not LOCK.OPAQUE [LOCK.OPAQUE]")
    rules = collector.by_rule()
    assert rules["LOCK.ACQUIRE"] == {"verdict": "fail", "tests": ["t"], "counts": {"fail": 1}}
    assert rules["LOCK.ITEMVERSION"]["verdict"] == "not run"
    assert rules["LOCK.OPAQUE"]["verdict"] == "not run"
    assert collector.results["t"].verdict == "fail"
    assert collector.results["t"].to_dict()["rule_verdicts"] == {
        "LOCK.ITEMVERSION": "not run", "LOCK.OPAQUE": "not run", "LOCK.ACQUIRE": "fail"}


def test_a_failure_without_a_failed_check_is_an_error_of_the_test_and_fails_no_rule():
    collector = ResultCollector()
    props = [("wopi_area", "putfile"), ("wopi_rule", "PUTFILE.VERSION"), ("wopi_rule", "ITEMVERSION.MATCH"),
             ("wopi_judged", "PUTFILE.VERSION pass")]
    add_test(collector, "u", props, "failed", "TransportError: connection refused")
    assert collector.results["u"].verdict == "error"
    assert collector.counts() == {"error": 1}
    assert [r.nodeid for r in collector.failures()] == ["u"]
    rules = collector.by_rule()
    assert rules["PUTFILE.VERSION"]["verdict"] == "pass"  # judged before the connection broke
    assert rules["ITEMVERSION.MATCH"]["verdict"] == "not run"
    table = area_table(collector)
    assert table[0].split()[:4] == ["area", "passed", "failed", "errors"]


def test_passes_are_judgments_and_untouched_tags_are_not_run():
    collector = ResultCollector()
    add_test(collector, "t", [("wopi_area", "locks"), ("wopi_rule", "LOCK.ACQUIRE"), ("wopi_rule", "GETLOCK.CURRENT"),
                              ("wopi_judged", "LOCK.ACQUIRE pass"), ("wopi_judged", "CFI.200.JSON info")])
    assert collector.results["t"].verdict == "pass"
    verdicts = {rule_id: entry["verdict"] for rule_id, entry in collector.by_rule().items()}
    assert verdicts == {"LOCK.ACQUIRE": "pass", "GETLOCK.CURRENT": "not run", "CFI.200.JSON": "pass"}


def test_blocked_tests_are_counted_apart_and_grouped_by_cause_with_the_detail_once():
    collector = ResultCollector()
    cause = "no file could be created: PutRelativeFile answered 501 (relative) and 501 (suggested)"
    for index in range(3):
        props = [("wopi_area", "locks"), ("wopi_rule", "LOCK.ACQUIRE")]
        if index == 0:
            props.append(("wopi_blocked_detail", "POST /wopi/files/seed -> 501"))
        add_test(collector, f"b{index}", props, "skipped", ("m.py", 1, f"Skipped: blocked: {cause}"), when="setup")
    add_test(collector, "s", [("wopi_area", "locks"), ("wopi_rule", "LOCK.EXPIRY")], "skipped",
             ("m.py", 1, "Skipped: no lock TTL"), when="setup")
    add_test(collector, "p", [("wopi_area", "locks"), ("wopi_rule", "LOCK.ACQUIRE"),
                              ("wopi_judged", "LOCK.ACQUIRE pass")])
    assert collector.counts() == {"blocked": 3, "skip": 1, "pass": 1}
    assert collector.results["b1"].cause == cause
    assert collector.results["b1"].to_dict()["blocked_by"] == cause
    groups = collector.blocked()
    assert [(c, [t.nodeid for t in tests], detail) for c, tests, detail in groups] == [
        (cause, ["b0", "b1", "b2"], "POST /wopi/files/seed -> 501")]
    rules = collector.by_rule()
    assert rules["LOCK.ACQUIRE"]["verdict"] == "pass" and rules["LOCK.ACQUIRE"]["counts"] == {"blocked": 3, "pass": 1}
    text = "\n".join(blocked_paragraphs(collector))
    assert text.count(cause) == 1 and text.count("POST /wopi/files/seed -> 501") == 1
    assert "3 tests blocked: " + cause in text
    header, *rows = area_table(collector)
    assert "blocked" in header.split()
    locks = rows[0].split()
    assert locks[0] == "locks" and locks[header.split().index("blocked")] == "3"


def test_a_rule_only_blocked_is_blocked_and_an_expected_failure_stays_known():
    collector = ResultCollector()
    add_test(collector, "b", [("wopi_area", "locks"), ("wopi_rule", "RELOCK.ATOMIC")], "skipped",
             ("m.py", 1, "Skipped: blocked: no lock"), when="setup")
    report = make_report("x", "call", "skipped", [("wopi_area", "locks"), ("wopi_rule", "LOCK.OPAQUE"),
                                                  ("wopi_judged", "LOCK.OPAQUE fail")], ("m.py", 1, "[LOCK.OPAQUE] no"))
    report.wasxfail = "listed as an expected failure"
    collector.add(report)
    verdicts = {rule_id: entry["verdict"] for rule_id, entry in collector.by_rule().items()}
    assert verdicts == {"RELOCK.ATOMIC": "blocked", "LOCK.OPAQUE": "xfail"}


def test_a_failure_message_from_an_xdist_worker_starts_with_the_failure_not_the_worker_line():
    # Under pytest-xdist the controller's report carries the worker (``report.node``) and its text starts with
    # "[gw0] linux -- Python ...": the report's "Fix these first" showed that line as the failure's headline.
    class Worker:
        workerinfo = {"id": "gw0", "sysplatform": "linux", "version_info": (3, 11, 9, "final", 0),
                      "executable": "/usr/bin/python3"}

    collector = ResultCollector()
    props = [("wopi_area", "locks"), ("wopi_rule", "LOCK.OPAQUE"), ("wopi_judged", "LOCK.OPAQUE fail")]
    for phase, outcome in (("setup", "passed"), ("call", "failed"), ("teardown", "passed")):
        report = make_report("t", phase, outcome, props, "[LOCK.OPAQUE] lock ids compared case-insensitively"
                             if outcome == "failed" else None)
        report.node = Worker()
        collector.add(report)
    assert collector.results["t"].message.startswith("[LOCK.OPAQUE] lock ids compared")
