import re
from pathlib import Path

import pytest

from wopi_validator.judging.rules import INFO, MUST, RULES, SHOULD
from wopi_validator.refhost.faults import FAULTS

SPEC = Path(__file__).resolve().parents[3] / "shared" / "wopi-spec.md"


def test_rule_ids_are_well_formed_and_levels_known():
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"[A-Z]+(\.[A-Z0-9]+)+", rule_id), rule_id
        assert rule.level in {MUST, SHOULD, INFO}
        assert rule.source.startswith("https://")


def test_every_fault_breaks_a_catalogued_rule():
    for fault in FAULTS.values():
        assert fault.rule in RULES, f"{fault.name} names {fault.rule}"


def test_every_rule_id_of_the_spec_is_in_the_catalogue():
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside the project")
    spec_ids = set(re.findall(r"`([A-Z]+(?:\.[A-Z0-9]+)+)`", SPEC.read_text()))
    spec_ids = {rule_id for rule_id in spec_ids if not rule_id.endswith(".*")}
    assert spec_ids - set(RULES) == set()
