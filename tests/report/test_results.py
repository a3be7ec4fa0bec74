import pytest

from wopi_validator.report.console import area_table
from wopi_validator.report.results import ResultCollector


def make_report(nodeid, when, outcome, props, longrepr=None):
    return pytest.TestReport(nodeid, ("m.py", 1, nodeid), {}, outcome, longrepr, when, user_properties=props)


def test_verdicts_per_test_rule_and_area():
    collector = ResultCollector()
    base = [("wopi_area", "locks"), ("wopi_rule", "LOCK.ACQUIRE")]
    for when in ("setup", "call", "teardown"):
        collector.add(make_report("t1", when, "passed", base))
    warned = base + [("wopi_warning", "[LOCK.ACQUIRE] hmm")]
    collector.add(make_report("t2", "setup", "passed", base))
    collector.add(make_report("t2", "call", "passed", warned))
    collector.add(make_report("t2", "teardown", "passed", warned))
    collector.add(make_report("t3", "setup", "skipped", [("wopi_area", "putfile"), ("wopi_rule", "PUTFILE.EDITORS")],
                              ("m.py", 1, "Skipped: no SupportsLocks")))
    collector.add(make_report("t4", "call", "failed", [("wopi_area", "locks"), ("wopi_rule", "LOCK.OPAQUE")], "boom"))
    collector.add(make_report("not-ours", "call", "passed", []))
    verdicts = {nodeid: result.verdict for nodeid, result in collector.results.items()}
    assert verdicts == {"t1": "pass", "t2": "warn", "t3": "skip", "t4": "fail"}
    assert collector.results["t3"].message == "no SupportsLocks"
    rules = collector.by_rule()
    assert rules["LOCK.ACQUIRE"]["verdict"] == "warn" and rules["LOCK.OPAQUE"]["verdict"] == "fail"
    table = "\n".join(area_table(collector))
    assert "locks" in table and "putfile" in table and "rules" in table


def test_a_multi_rule_test_fails_only_the_rule_its_message_names():
    collector = ResultCollector()
    props = [("wopi_area", "putfile"), ("wopi_rule", "PUTFILE.VERSION"), ("wopi_rule", "ITEMVERSION.MATCH")]
    collector.add(make_report("t", "call", "failed", props, "[PUTFILE.VERSION] PutFile answered 200 without it"))
    rules = collector.by_rule()
    assert rules["PUTFILE.VERSION"]["verdict"] == "fail"
    assert rules["ITEMVERSION.MATCH"]["verdict"] == "skip"  # not judged: the test stopped first
    other = ResultCollector()
    other.add(make_report("u", "call", "failed", props, "TransportError: connection refused"))
    assert {entry["verdict"] for entry in other.by_rule().values()} == {"fail"}
