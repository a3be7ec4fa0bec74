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
