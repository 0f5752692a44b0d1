import datetime as dt

import pytest

from workflow import thai


def test_unify_digits_writes_a_mixed_number_in_thai_digits():
    assert thai.unify_digits("พ.ศ. ๒๕6๔") == "พ.ศ. ๒๕๖๔"
    assert thai.unify_digits("ที่ 44๖/๒๕๖3") == "ที่ ๔๔๖/๒๕๖๓"


def test_unify_digits_leaves_numbers_in_one_script_alone():
    assert thai.unify_digits("COVID-19 ITA 2564 โควิด-๑๙") == "COVID-19 ITA 2564 โควิด-๑๙"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ต.ค.๒๕๖๓ - ก.ย.๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
        ("ต.ค. ๒๕๖๓ - ก.ย. ๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
        ("ม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔", (dt.date(2021, 1, 1), dt.date(2021, 4, 1))),
        ("ต.ค. ๒๕ ๖๓ - ก.ย. ๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
    ],
)
def test_parse_period_reads_the_seed_forms_and_a_year_wrapped_at_a_line_end(text, expected):
    assert thai.parse_period(text) == expected


def test_parse_period_refuses_what_is_not_a_period():
    with pytest.raises(thai.PeriodError, match="unreadable period"):
        thai.parse_period("ตลอดปี")
