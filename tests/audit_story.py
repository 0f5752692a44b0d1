"""A full year's workflow of one organization, through the services, for the auditor's tests.

Every kind of history row the product writes appears in it: people renamed, a role granted,
a division added, a delegation given, a measure created and edited part by part, each
transition (a return with its reason, a deputy's approval), evidence added, a revision
published in turn. `moments` are instants between the steps, with what the public saw then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.models import Role
from approvals.services import delegation_create, membership_create, transition_perform
from workflow.models import Action
from workflow.services import (
    division_create,
    evidence_add,
    measure_update,
    result_report_update,
)

NAMES = {
    "head": ("สมชาย", "ใจดี"),
    "working_group": ("สุดา", "รักงาน"),
    "chief": ("ประเสริฐ", "มั่นคง"),
    "deputy": ("วิชัย", "ช่วยราชการ"),
    "publisher": ("มาลี", "เว็บดี"),
    "auditor": ("อรทัย", "ตรวจตรา"),
    "admin": ("ธนา", "ดูแล"),
    "expired_deputy": ("บุญมี", "แทนได้"),
}


@dataclass
class Story:
    measure: object
    report: object
    new_division: object
    moments: list[tuple[str, object]] = field(default_factory=list)  # (label, instant)


def _run(item, *steps):
    for action, who, *comment in steps:
        transition_perform(
            item=type(item).objects.get(pk=item.pk),
            action=action,
            actor=who,
            comment=comment[0] if comment else "",
        )
    return type(item).objects.get(pk=item.pk)


def _edit_measure(measure, actor, **changes):
    measure = type(measure).objects.get(pk=measure.pk)
    return measure_update(measure=measure, actor=actor, expected_version=measure.version, **changes)


def public_table(client: Client, world) -> str:
    """The six-column table of the public page as it is served now."""
    html = client.get(
        reverse("public:report", args=[world.organization.slug, world.fiscal_year.year])
    ).content.decode()
    return report_table(html)


def report_table(html: str) -> str:
    start = html.index('<table class="report">')
    return html[start : html.index("</table>", start) + len("</table>")]


def story_build(world, *, snapshots: Client | None = None) -> Story:
    """Run the year's workflow; with `snapshots`, save the public table at each moment."""
    users = world.users
    for key, (first, last) in NAMES.items():
        user = users[key]
        user.first_name, user.last_name = first, last
        user.save()
    admin, head, wg = users["admin"], users["head"], users["working_group"]
    membership_create(
        organization=world.organization, actor=admin, user=users["expired_deputy"],
        role=Role.WORKING_GROUP,
    )  # fmt: skip
    new_division = division_create(
        organization=world.organization, actor=admin, name="กองการศึกษา ศาสนาและวัฒนธรรม"
    )
    now = timezone.now()
    delegation_create(
        organization=world.organization, actor=admin, delegator=users["chief"],
        deputy=users["expired_deputy"], starts_at=now + timezone.timedelta(days=30),
        ends_at=now + timezone.timedelta(days=40), reason="คำสั่ง อบต. ที่ ๑๒/๒๕๖๔",
    )  # fmt: skip
    story = Story(
        measure=world.measure(
            title="จัดทำประกาศเจตจำนงสุจริต", methods=["ประชุมคณะทำงาน", "จัดทำประกาศ"]
        ),
        report=None,
        new_division=new_division,
    )

    def moment(label):
        story.moments.append((label, timezone.now()))
        if snapshots is not None:
            story.moments[-1] = (label, timezone.now(), public_table(snapshots, world))

    moment("nothing published")
    measure = _edit_measure(
        story.measure, head, title="จัดทำประกาศเจตจำนงสุจริตของผู้บริหาร",
        methods=["ประชุมคณะทำงาน", "จัดทำประกาศเจตจำนงสุจริต", "เผยแพร่ประกาศทางเว็บไซต์"],
        division_ids=[world.division.pk, new_division.pk],
    )  # fmt: skip
    measure = _edit_measure(measure, head, division_ids=[world.division.pk])
    measure = _run(
        measure,
        (Action.SUBMIT, head, "พร้อมให้ตรวจ"),
        (Action.RETURN, wg, "ขอให้ระบุช่องทางเผยแพร่"),
        (Action.SUBMIT, head),
        (Action.REVIEW, wg),
        (Action.APPROVE, users["deputy"]),  # under the chief's delegation
        (Action.PUBLISH, users["publisher"]),
    )
    moment("measure published")
    report = world.report(measure, items=["ประชุมคณะทำงาน ครั้งที่ ๑"], recommendations=[])
    report = type(report).objects.get(pk=report.pk)
    report = result_report_update(
        report=report, actor=head, expected_version=report.version,
        items=["ประชุมคณะทำงาน ครั้งที่ ๑/๒๕๖๔", "ประกาศเจตจำนงสุจริตแล้ว"],
    )  # fmt: skip
    evidence_add(
        report=report, actor=head, title="คำสั่งแต่งตั้ง.pdf",
        uploaded_file=SimpleUploadedFile("order.pdf", b"%PDF-1.4 order"),
    )  # fmt: skip
    report = _run(report, (Action.SUBMIT, head))
    report = result_report_update(
        report=report, actor=wg, expected_version=report.version,
        recommendations=["ควรเผยแพร่ให้ประชาชนทราบทั่วถึง"],
    )  # fmt: skip
    report = _run(
        report,
        (Action.REVIEW, wg),
        (Action.APPROVE, users["chief"]),
        (Action.PUBLISH, users["publisher"]),
    )
    moment("results published")
    measure = _run(measure, (Action.REVISE, head, "ปรับปรุงวิธีการตามข้อเสนอแนะ"))
    measure = _edit_measure(
        measure, head,
        methods=["ประชุมคณะทำงาน", "จัดทำประกาศเจตจำนงสุจริต", "เผยแพร่ประกาศทางเว็บไซต์และเฟซบุ๊ก"],
    )  # fmt: skip
    moment("revision in progress")
    measure = _run(
        measure,
        (Action.SUBMIT, head),
        (Action.REVIEW, wg),
        (Action.APPROVE, users["chief"]),
        (Action.PUBLISH, users["publisher"]),
    )
    moment("revision published")
    story.measure, story.report = measure, report
    return story
