"""docs/faults.md is made from the tests' fault markers: every case of FAULTS.md is covered by a test
or says why not, and the table never drifts from the tests (`python -m tests.faults` rewrites it)."""

from tests import faults


def test_the_fault_table_is_up_to_date():
    found = faults.collect()
    assert faults.unknown_ids(found) == []
    assert faults.TABLE.read_text(encoding="utf-8") == faults.render(found), "run `python -m tests.faults`"


def test_every_case_has_a_test_or_says_why_not():
    found = faults.collect()
    assert [case for case in faults.CASES if not found.get(case) and not faults.NOTES.get(case)] == []


def test_markers_are_read_from_functions_classes_and_modules(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "pytestmark = [pytest.mark.fault('B1')]\n"
        "@pytest.mark.fault('E4', 'A3')\n"
        "def test_one(): pass\n"
        "@pytest.mark.fault('D1')\n"
        "class TestTwo:\n"
        "    def test_two(self): pass\n"
    )
    found = faults.collect(tmp_path)
    assert found == {
        "B1": ["test_sample.py::TestTwo::test_two", "test_sample.py::test_one"],
        "E4": ["test_sample.py::test_one"],
        "A3": ["test_sample.py::test_one"],
        "D1": ["test_sample.py::TestTwo::test_two"],
    }
