"""Demo data: อบต.เขาทอง, one person per role, FY 2564 with two rounds, the seed report."""

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from approvals.models import Delegation, Membership, Position, Role
from workflow.importing import report_import
from workflow.models import Division, FiscalYear, Organization, ReportingRound

SEED_REPORT = (
    Path(__file__).resolve().parents[2] / "fixtures" / "khao-thong-2564-measures-report.txt"
)
DIVISIONS = ["สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม"]
DEMO_PASSWORD = "itaflow-2564"

# The ITA 2564 indicators each seed measure addresses (by measure number).
SEED_INDICATORS = {1: [7, 9], 2: [6, 8], 3: [6, 8], 4: [1, 8], 5: [5, 10], 6: [5, 10], 7: [5, 10]}

# username, first name, last name, position (ตำแหน่ง), role, divisions headed; the names are
# invented, the positions are those of an อบต.'s establishment
PEOPLE = [
    ("palad", "นางสาวกนกวรรณ", "ศรีสวัสดิ์", "หัวหน้าสำนักปลัดองค์การบริหารส่วนตำบล",
     Role.DIVISION_HEAD, ["สำนักปลัด"]),
    ("klang", "นางวันเพ็ญ", "ทองดี", "ผู้อำนวยการกองคลัง", Role.DIVISION_HEAD, ["กองคลัง"]),
    ("chang", "นายประวิทย์", "มั่นการ", "ผู้อำนวยการกองช่าง", Role.DIVISION_HEAD, ["กองช่าง"]),
    ("suksa", "นางสาวอรุณี", "แก้วใส", "ผู้อำนวยการกองการศึกษา ศาสนาและวัฒนธรรม",
     Role.DIVISION_HEAD, ["กองการศึกษา ศาสนาและวัฒนธรรม"]),
    ("working", "นายสมชาย", "ใจดี", "ปลัดองค์การบริหารส่วนตำบล", Role.WORKING_GROUP, []),
    ("working2", "นางสุดา", "พรหมมา", "นักวิเคราะห์นโยบายและแผน", Role.WORKING_GROUP, []),
    ("nayok", "นายวิรัช", "บุญมา", "นายกองค์การบริหารส่วนตำบลเขาทอง", Role.CHIEF_EXECUTIVE, []),
    ("deputy", "นายอนันต์", "รุ่งเรือง", "รองนายกองค์การบริหารส่วนตำบลเขาทอง", None, []),
    ("publisher", "นางสาวปิยะนุช", "สายทอง", "นักประชาสัมพันธ์", Role.PUBLISHER, []),
    ("auditor", "นางรัตนา", "ตรงใจ", "นักวิชาการตรวจสอบภายใน", Role.AUDITOR, []),
    ("orgadmin", "นายธนพล", "คงสุข", "นักวิชาการคอมพิวเตอร์", Role.ADMIN, []),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create the demo organization อบต.เขาทอง with its people and the FY 2564 report."

    def handle(self, *args, **options):
        if Organization.objects.filter(slug="khao-thong").exists():
            self.stdout.write("อบต.เขาทอง exists already; nothing to do.")
            self._print_people()
            return
        with transaction.atomic():
            org = Organization.objects.create(
                name="องค์การบริหารส่วนตำบลเขาทอง",
                short_name="อบต.เขาทอง",
                slug="khao-thong",
                province="นครสวรรค์",
            )
            divisions = {
                name: Division.objects.create(organization=org, name=name) for name in DIVISIONS
            }
            year, _ = FiscalYear.objects.get_or_create(year=2564)
            ReportingRound.objects.create(
                organization=org, fiscal_year=year, name="รอบ 6 เดือน", months=6,
                due_on=dt.date(2021, 4, 30),
            )  # fmt: skip
            final_round = ReportingRound.objects.create(
                organization=org, fiscal_year=year, name="รอบ 12 เดือน", months=12,
                due_on=dt.date(2021, 10, 31),
            )  # fmt: skip
            User = get_user_model()
            for username, first_name, last_name, position, role, headed in PEOPLE:
                user = User.objects.create_user(
                    username=username,
                    password=DEMO_PASSWORD,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{username}@khaothong.go.th",
                )  # every one an ordinary account: the admin is a role, not a superuser
                if role:
                    membership = Membership.objects.create(user=user, organization=org, role=role)
                    membership.divisions.set([divisions[name] for name in headed])
                Position.objects.create(user=user, organization=org, title=position)
            Delegation.objects.create(
                organization=org,
                delegator=User.objects.get(username="nayok"),
                deputy=User.objects.get(username="deputy"),
                starts_at=timezone.now(),
                ends_at=timezone.now() + dt.timedelta(days=30),
                reason="ปฏิบัติราชการแทนนายก อบต. (ตัวอย่าง)",
                deputy_position="รองนายกองค์การบริหารส่วนตำบลเขาทอง",
            )
            result = report_import(
                source=SEED_REPORT,
                organization=org,
                fiscal_year=year,
                reporting_round=final_round,
                actor=User.objects.get(username="working"),
                source_name=SEED_REPORT.name,
            )
            indicators_link(org, year, User.objects.get(username="working"))
        self.stdout.write(self.style.SUCCESS(f"Imported {result}"))
        # the auditor's page opens on a checked chain, not on "never verified"
        from audit.chain import verification_record

        verification_record(org.pk)
        self._print_people()

    def _print_people(self):
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for username, first_name, last_name, position, role, headed in PEOPLE:
            label = (
                role.label if role else "deputy: acts as chief executive while delegated (30 days)"
            )
            suffix = f" — {', '.join(headed)}" if headed else ""
            self.stdout.write(
                f"  {username:<10} {first_name} {last_name} ({position}) · {label}{suffix}"
            )
        self.stdout.write(
            "\nThe Django admin (/admin/) is for the platform operator only: create one with"
            " `manage.py createsuperuser`."
        )


def indicators_link(org, year, actor) -> None:
    """Name the indicators the seed measures address, as the working group would."""
    from workflow.assessment import Indicator
    from workflow.assessment_data import schemes_load
    from workflow.assessment_services import measure_indicators_set

    schemes_load()  # after a flush the shipped schemes are gone; a migrated database has them
    indicators = {i.number: i for i in Indicator.objects.filter(scheme__year=year.year)}
    for measure in org.measures.filter(fiscal_year=year):
        numbers = SEED_INDICATORS.get(measure.number, [])
        measure_indicators_set(
            measure=measure,
            actor=actor,
            indicator_ids=[indicators[n].pk for n in numbers if n in indicators],
        )
