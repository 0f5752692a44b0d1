"""The ITA schemes of 2564–2568 as shipped: loaded by a data migration, then the platform
operator's to edit in the admin (nothing here is read by the code paths afterwards).

2564 and 2565 follow the NACC's manuals (ten indicators in three tools, pass mark 85, levels
AA–F, measures and their results answered as OIT items O42 and O43, OIT answering from
1 March to 30 April). The later years' details were not known when this was written: they
are copies of the previous year, marked `to_check`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

TOOLS = [
    (
        "IIT",
        "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายใน",
        "Internal Integrity and Transparency Assessment",
    ),
    (
        "EIT",
        "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายนอก",
        "External Integrity and Transparency Assessment",
    ),
    (
        "OIT",
        "แบบตรวจการเปิดเผยข้อมูลสาธารณะ",
        "Open Data Integrity and Transparency Assessment",
    ),
]

INDICATORS = [
    (1, "IIT", "การปฏิบัติหน้าที่", "Performance of duties"),
    (2, "IIT", "การใช้งบประมาณ", "Use of the budget"),
    (3, "IIT", "การใช้อำนาจ", "Use of authority"),
    (4, "IIT", "การใช้ทรัพย์สินของราชการ", "Use of government property"),
    (5, "IIT", "การแก้ไขปัญหาการทุจริต", "Solving corruption problems"),
    (6, "EIT", "คุณภาพการดำเนินงาน", "Quality of operations"),
    (7, "EIT", "ประสิทธิภาพการสื่อสาร", "Effectiveness of communication"),
    (8, "EIT", "การปรับปรุงการทำงาน", "Improvement of work"),
    (9, "OIT", "การเปิดเผยข้อมูล", "Disclosure of information"),
    (10, "OIT", "การป้องกันการทุจริต", "Prevention of corruption"),
]

BANDS = [
    ("AA", "95.00", "100.00"),
    ("A", "85.00", "94.99"),
    ("B", "75.00", "84.99"),
    ("C", "65.00", "74.99"),
    ("D", "55.00", "64.99"),
    ("E", "50.00", "54.99"),
    ("F", "0.00", "49.99"),
]

OIT_ITEMS = [
    ("measures", "O42", "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"),
    ("results", "O43", "การดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"),
]

KNOWN_YEARS = (2564, 2565)
SHIPPED_YEARS = (2564, 2565, 2566, 2567, 2568)
TO_CHECK_NOTE = "คัดลอกรายละเอียดจากปีก่อน ต้องตรวจสอบกับคู่มือการประเมิน ITA ของสำนักงาน ป.ป.ช. ประจำปีนี้"


def _title(year: int) -> str:
    return (
        f"การประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) ประจำปีงบประมาณ พ.ศ. {year}"
    )


def schemes_load(apps=None) -> int:
    """Create the shipped schemes that are missing; returns how many were created.

    A scheme that exists is left as it is: the operator's edits win over the shipped data.
    `apps` is a migration's app registry, or None for the models themselves.
    """
    if apps is None:
        from django.apps import apps
    get = apps.get_model
    Scheme, Tool, Indicator = (
        get("workflow", "AssessmentScheme"),
        get("workflow", "AssessmentTool"),
        get("workflow", "Indicator"),
    )
    Band, Item = get("workflow", "LevelBand"), get("workflow", "OitItem")
    created = 0
    for year in SHIPPED_YEARS:
        if Scheme.objects.filter(year=year).exists():
            continue
        known = year in KNOWN_YEARS
        ce = year - 543
        scheme = Scheme.objects.create(
            year=year,
            title=_title(year),
            pass_mark=Decimal("85"),
            oit_opens_on=dt.date(ce, 3, 1),
            oit_closes_on=dt.date(ce, 4, 30),
            to_check=not known,
            note="" if known else TO_CHECK_NOTE,
        )
        tools = {}
        for position, (code, name_th, name_en) in enumerate(TOOLS, start=1):
            tools[code] = Tool.objects.create(
                scheme=scheme, code=code, position=position, name_th=name_th, name_en=name_en
            )
        for number, tool, name_th, name_en in INDICATORS:
            Indicator.objects.create(
                scheme=scheme, tool=tools[tool], number=number, name_th=name_th, name_en=name_en
            )
        for level, low, high in BANDS:
            Band.objects.create(
                scheme=scheme, level=level, min_score=Decimal(low), max_score=Decimal(high)
            )
        for purpose, code, title in OIT_ITEMS:
            Item.objects.create(scheme=scheme, purpose=purpose, code=code, title_th=title)
        created += 1
    return created
