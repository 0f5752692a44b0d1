import datetime as dt

import pytest
from django.template import Context, Template

from workflow import thai


def test_be_and_ce_years_convert_both_ways():
    assert thai.be_year(2021) == 2564
    assert thai.ce_year(2564) == 2021


def test_thai_digits_convert_both_ways():
    assert thai.to_thai_digits("FY 2564, item 12") == "FY ๒๕๖๔, item ๑๒"
    assert thai.to_arabic_digits("ที่ ๔๔๖/๒๕๖๓") == "ที่ 446/2563"


def test_fiscal_year_runs_from_october_to_september():
    assert thai.fiscal_year_bounds(2564) == (dt.date(2020, 10, 1), dt.date(2021, 9, 30))
    assert thai.fiscal_year_of(dt.date(2020, 10, 1)) == 2564
    assert thai.fiscal_year_of(dt.date(2020, 9, 30)) == 2563
    assert thai.fiscal_year_of(dt.date(2021, 9, 30)) == 2564


def test_format_period_writes_it_as_the_seed_does():
    assert thai.format_period(dt.date(2020, 10, 1), dt.date(2021, 9, 1)) == "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔"
    assert thai.format_period(dt.date(2021, 1, 1), dt.date(2021, 4, 1), digits="arabic") == (
        "ม.ค. 2564 – เม.ย. 2564"
    )


def test_format_date_in_full_and_short_forms():
    assert thai.format_date(dt.date(2021, 1, 14)) == "๑๔ มกราคม ๒๕๖๔"
    assert thai.format_date(dt.date(2021, 1, 14), full=False) == "๑๔ ม.ค. ๒๕๖๔"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ต.ค.๒๕๖๓ - ก.ย.๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
        ("ต.ค. ๒๕๖๓ - ก.ย. ๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
        ("ม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔", (dt.date(2021, 1, 1), dt.date(2021, 4, 1))),
        ("ม.ค. 2564 – เม.ย. 2564", (dt.date(2021, 1, 1), dt.date(2021, 4, 1))),
        ("ตุลาคม ๒๕๖๓ ถึง กันยายน ๒๕๖๔", (dt.date(2020, 10, 1), dt.date(2021, 9, 1))),
    ],
)
def test_parse_period_reads_the_forms_found_in_reports(text, expected):
    assert thai.parse_period(text) == expected


@pytest.mark.parametrize(
    "text", ["", "ตลอดปี", "ต.ค.๒๕๖๓", "ก.ย.๒๕๖๔ - ต.ค.๒๕๖๓", "ต.ค. 2020 - ก.ย. 2021"]
)
def test_parse_period_refuses_what_it_cannot_read(text):
    with pytest.raises(thai.PeriodError):
        thai.parse_period(text)


def test_normalize_text_joins_sara_am_split_by_pdf_extraction():
    split = "ด\u0e4d\u0e32เนินการ"
    assert thai.normalize_text(split) == "ดำเนินการ"
    assert thai.normalize_text("น\u0e49\u0e4d\u0e32") == "น\u0e49\u0e33"
    assert thai.normalize_text("  หลาย \u00a0 ช่องว่าง \n") == "หลาย ช่องว่าง"


def test_template_filters_render_thai_forms():
    template = Template(
        "{{ n|thai_digits }}|{{ d|be_date }}|{{ d|be_date:'short' }}|{{ d|be_year }}|"
        "{{ d|thai_month }}|{% thai_period d e %}"
    )
    html = template.render(Context({"n": 7, "d": dt.date(2021, 1, 14), "e": dt.date(2021, 4, 1)}))
    assert html == "๗|๑๔ มกราคม ๒๕๖๔|๑๔ ม.ค. ๒๕๖๔|2564|ม.ค. ๒๕๖๔|ม.ค. ๒๕๖๔ – เม.ย. ๒๕๖๔"
