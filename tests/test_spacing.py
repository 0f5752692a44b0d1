"""The PDF's line-wrap spaces: proposed at import, decided by a person, and word-aware cuts."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from approvals.exceptions import NotPermitted, ValidationFailed
from approvals.models import Role
from approvals.services import transition_perform
from tests.factories import MembershipFactory, UserFactory
from workflow import wording
from workflow.importing import report_import, report_parse
from workflow.models import (
    Action,
    Division,
    Measure,
    MeasureMethod,
    ResultItem,
    ResultReport,
    SpacingProposal,
)
from workflow.services import SPACING_REASON, spacing_proposals_accept, spacing_proposals_dismiss

SEED = Path(__file__).resolve().parent.parent / (
    "workflow/fixtures/khao-thong-2564-measures-report.txt"
)
DIVISIONS = ["สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม"]

# The seven titles of the reference report as a person reads them, line-wrap spaces taken
# out: "ต่าง ๆ" keeps its space before ๆ and after it, "ประจำปี ๒๕๖๔" the one before the
# number, and measure 3 the pause before "เพื่อ". Measure 2 was written without wraps.
EXPECTED_TITLES = {
    1: "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสารการประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน",
    2: "ส่งเสริมการมีส่วนร่วมทั้งจากภายในและภายนอกหน่วยงาน",
    3: "จัดเวทีประชาคมประชุมรับฟังความคิดเห็นของประชาชนผู้มารับบริการ "
    "เพื่อเปิดโอกาสให้มีส่วนร่วมในการปรับปรุงการทำงานหรือการให้บริการของหน่วยงาน",
    4: "ปรับปรุงวิธีการและขั้นตอนการดำเนินการให้บริการให้มีประสิทธิภาพมากยิ่งขึ้น",
    5: "ประเมินความเสี่ยงการทุจริตประจำปี ๒๕๖๔",
    6: "จัดทำมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
    7: "การจัดกิจกรรมเพื่อเสริมสร้างวัฒนธรรมองค์กรต่อต้านการทุจริตคอร์ปชั่นแสดงเจตจำนงการต่อต้านการทุจริตทุกรูปแบบ",
}


def _people(organization):
    """A working group member, the head of กองคลัง, and the roles that may not re-space."""
    people = {}
    for name, role, division in (
        ("working_group", Role.WORKING_GROUP, None),
        ("finance_head", Role.DIVISION_HEAD, "กองคลัง"),
        ("chief", Role.CHIEF_EXECUTIVE, None),
        ("publisher", Role.PUBLISHER, None),
        ("auditor", Role.AUDITOR, None),
        ("admin", Role.ADMIN, None),
    ):
        people[name] = UserFactory(username=name)
        divisions = (
            [Division.objects.get(organization=organization, name=division)] if division else []
        )
        MembershipFactory(
            user=people[name], organization=organization, role=role, divisions=divisions
        )
    return people


@pytest.fixture
def imported(khao_thong):
    report_import(source=SEED, organization=khao_thong, fiscal_year=2564)
    return khao_thong


# --- the proposal ---------------------------------------------------------------------


def test_spacing_proposals_of_the_seed_titles_read_as_the_report_was_written(imported):
    # when the seed was imported (fixture)
    # then each title is stored as the file has it, and its proposal beside it
    for number, expected in EXPECTED_TITLES.items():
        measure = Measure.objects.get(organization=imported, number=number)
        proposal = SpacingProposal.objects.filter(measure=measure, part="title").first()
        if proposal is None:  # nothing to repair
            assert measure.title == expected
            continue
        assert proposal.found == measure.title != expected
        assert proposal.proposed == expected, number
        assert proposal.status == SpacingProposal.Status.PENDING
    assert Measure.objects.get(number=1).title.startswith("ปรับปรุง เว็บไซต์ หน่วยงานเพื่อ")


def test_spacing_proposals_only_remove_spaces_and_keep_those_before_mai_yamok(imported):
    # given every proposal of the seed
    proposals = list(SpacingProposal.objects.all())
    assert len(proposals) == 64

    for p in proposals:
        # then no letter changes, only spaces go
        assert wording.spacing_key(p.proposed) == wording.spacing_key(p.found)
        assert len(p.proposed) < len(p.found)
        # and the spaces around ๆ, numbers and Latin words stay
        assert p.found.count(" ๆ") == p.proposed.count(" ๆ")
        assert p.found.count("ๆ ") == p.proposed.count("ๆ ")
        for pattern in (r" [๐-๙0-9]", r"[๐-๙0-9] ", r" [A-Za-z]", r"[A-Za-z] "):
            assert len(re.findall(pattern, p.found)) == len(re.findall(pattern, p.proposed))
    # and the division cell of measure 4 is matched as before, not re-spaced
    measure_4 = Measure.objects.get(number=4)
    assert {d.name for d in measure_4.divisions.all()} == set(DIVISIONS)


def test_spacing_repair_keeps_the_space_inside_an_official_division_name():
    # given a text that names a division whose official name has a space, wrapped twice
    text = "ประสานงาน กับกอง การศึกษา ศาสนาและ วัฒนธรรม เพื่อจัด กิจกรรม"

    # when
    repaired = wording.spacing_repair(text, keep=DIVISIONS)

    # then the wraps go and the name keeps its one space
    assert repaired == "ประสานงานกับกองการศึกษา ศาสนาและวัฒนธรรม เพื่อจัดกิจกรรม"
    assert wording.spacing_repair("กองการศึกษา ศาสนาและวัฒนธรรม", keep=DIVISIONS) == (
        "กองการศึกษา ศาสนาและวัฒนธรรม"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ภารกิจต่าง ๆ ของหน่วยงาน", "ภารกิจต่าง ๆ ของหน่วยงาน"),  # around ๆ
        ("ประจำปี ๒๕๖๔ ตามคำสั่ง ที่ ๔๔๖/๒๕๖๓ ลง วันที่", "ประจำปี ๒๕๖๔ ตามคำสั่งที่ ๔๔๖/๒๕๖๓ ลงวันที่"),
        ("ผลการประเมิน ITA ประจำปี", "ผลการประเมิน ITA ประจำปี"),  # around Latin words
        ("รวดเร็วยิ่งขึ้น (ยัง ดำเนินการอย่าง ต่อเนื่อง)", "รวดเร็วยิ่งขึ้น (ยังดำเนินการอย่างต่อเนื่อง)"),
        ("มีกระดาน -ถาม ตอบ", "มีกระดาน -ถามตอบ"),  # a dash keeps its space
        ("มากขึ้น เช่น มีกระดาน", "มากขึ้น เช่น มีกระดาน"),  # the writer's pause around เช่น
        ("สำนักปลัด อบต.", "สำนักปลัด อบต."),  # before an abbreviation
        ("ประชา สัมพันธ์", "ประชาสัมพันธ์"),  # a dictionary word across the space
        ("ไม่มีช่องว่าง", "ไม่มีช่องว่าง"),
        ("", ""),
    ],
)
def test_spacing_repair_rules(text, expected):
    assert wording.spacing_repair(text) == expected


def test_spacing_diff_marks_each_removed_space():
    assert wording.spacing_diff("การ ประชา สัมพันธ์ ต่าง ๆ", "การประชาสัมพันธ์ ต่าง ๆ") == [
        ("same", "การ"),
        ("removed", " "),
        ("same", "ประชา"),
        ("removed", " "),
        ("same", "สัมพันธ์ ต่าง ๆ"),
    ]


def test_spacing_repair_loads_the_dictionary_once_per_process():
    # given the dictionary already loaded by another call
    wording.spacing_repair("ประชา สัมพันธ์")
    loads = wording._dictionary.cache_info()

    # when many texts are repaired
    for _ in range(20):
        wording.spacing_repair("ตรวจสอบเว็บไซต์ของ หน่วยงานว่ามีการ ออกแบบหน้าเว็บที่มี")

    # then it was not built again
    after = wording._dictionary.cache_info()
    assert after.misses == loads.misses == 1 and after.currsize == 1


# --- a person decides -----------------------------------------------------------------


def test_spacing_proposals_accept_by_the_working_group_is_an_edit_with_its_reason(imported):
    # given the working group and every pending proposal
    people = _people(imported)
    proposals = list(SpacingProposal.objects.order_by("pk"))
    measure_1 = Measure.objects.get(number=1)
    version = measure_1.version

    # when the working group accepts them for the whole report
    outcome = spacing_proposals_accept(actor=people["working_group"], proposals=proposals)

    # then every text reads as proposed, and each item has a new version with the reason
    assert (outcome.accepted, outcome.outdated, outcome.refused) == (64, 0, 0)
    for number, expected in EXPECTED_TITLES.items():
        assert Measure.objects.get(number=number).title == expected
    assert Measure.objects.get(pk=measure_1.pk).version == version + 1
    last = measure_1.history.order_by("-history_date", "-history_id").first()
    assert (last.history_change_reason, last.history_user) == (
        SPACING_REASON,
        people["working_group"],
    )
    method = MeasureMethod.objects.get(measure=measure_1, position=1)
    assert method.text.startswith("มีการดำเนินการตรวจสอบเว็บไซต์ของหน่วยงานว่ามีการออกแบบ")
    assert method.history.first().history_change_reason == SPACING_REASON
    report_1 = ResultReport.objects.get(measure=measure_1)
    assert report_1.history.order_by("-history_id").first().history_change_reason == (
        SPACING_REASON
    )
    assert ResultItem.objects.get(report=report_1, position=2).text == ("มีการปรับปรุงข้อมูลที่เป็นปัจจุบัน")
    assert set(SpacingProposal.objects.values_list("status", "decided_by__username")) == {
        ("accepted", "working_group")
    }
    assert SpacingProposal.history.filter(history_change_reason=SPACING_REASON).count() == 64


def test_spacing_proposals_accept_refused_to_roles_that_do_not_draft(imported):
    # given the people who neither draft nor review, and one of another organization
    people = _people(imported)
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, role=Role.WORKING_GROUP)
    proposals = list(SpacingProposal.objects.all())
    titles = list(Measure.objects.order_by("number").values_list("title", flat=True))

    # when / then each of them is refused, and nothing changes
    for person in [people[n] for n in ("chief", "publisher", "auditor", "admin")] + [outsider]:
        with pytest.raises(NotPermitted):
            spacing_proposals_accept(actor=person, proposals=proposals)
        with pytest.raises(NotPermitted):
            spacing_proposals_dismiss(actor=person, proposals=proposals[:1])
    assert list(Measure.objects.order_by("number").values_list("title", flat=True)) == titles
    assert not SpacingProposal.objects.exclude(status="pending").exists()


def test_spacing_proposals_accept_by_a_division_head_changes_only_their_divisions(imported):
    # given the head of กองคลัง, responsible for measures 2 and 4 only
    people = _people(imported)
    proposals = list(SpacingProposal.objects.all())

    # when they accept everything
    outcome = spacing_proposals_accept(actor=people["finance_head"], proposals=proposals)

    # then their items are repaired and the others' refused and still pending
    mine = SpacingProposal.objects.filter(measure__number__in=[2, 4])
    assert outcome.accepted == mine.count() and outcome.refused == 64 - mine.count()
    assert set(mine.values_list("status", flat=True)) == {"accepted"}
    assert Measure.objects.get(number=4).title == EXPECTED_TITLES[4]
    assert Measure.objects.get(number=1).title != EXPECTED_TITLES[1]
    assert SpacingProposal.objects.filter(status="pending").count() == outcome.refused


def test_spacing_proposals_accept_skips_what_changed_since_and_refuses_a_rewording(imported):
    # given the title of measure 5 edited by hand, and measure 7 already submitted
    people = _people(imported)
    measure_5, measure_7 = Measure.objects.get(number=5), Measure.objects.get(number=7)
    Measure.objects.filter(pk=measure_5.pk).update(title="ประเมินความเสี่ยง")
    head = UserFactory(username="head")
    MembershipFactory(
        user=head, organization=imported, role=Role.DIVISION_HEAD,
        divisions=list(measure_7.divisions.all()),
    )  # fmt: skip
    transition_perform(item=measure_7, action=Action.SUBMIT, actor=head)
    title_5 = SpacingProposal.objects.get(measure=measure_5, part="title")
    title_7 = SpacingProposal.objects.get(measure=measure_7, part="title")
    title_1 = SpacingProposal.objects.get(measure__number=1, part="title")

    # when a correction changes a word, nothing is accepted
    with pytest.raises(ValidationFailed):
        spacing_proposals_accept(
            actor=people["working_group"], proposals=[title_1],
            texts={title_1.pk: "ปรับปรุงเว็บไซต์ใหม่"},
        )  # fmt: skip
    # when the working group corrects the spaces of measure 1 and accepts the three
    corrected = "ปรับปรุงเว็บไซต์หน่วยงาน เพื่อเปิดเผยข้อมูลข่าวสาร การประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"
    outcome = spacing_proposals_accept(
        actor=people["working_group"], proposals=[title_1, title_5, title_7],
        texts={title_1.pk: corrected},
    )  # fmt: skip

    # then
    assert (outcome.accepted, outcome.outdated, outcome.refused) == (1, 1, 1)
    assert Measure.objects.get(number=1).title == corrected
    assert Measure.objects.get(number=5).title == "ประเมินความเสี่ยง"
    assert Measure.objects.get(number=7).title == measure_7.title
    statuses = SpacingProposal.objects.filter(pk__in=[title_5.pk, title_7.pk]).order_by("pk")
    assert list(statuses.values_list("status", flat=True)) == ["outdated", "pending"]


def test_spacing_proposals_dismiss_keeps_the_text_as_imported(imported):
    # given
    people = _people(imported)
    proposal = SpacingProposal.objects.get(measure__number=1, part="title")

    # when
    count = spacing_proposals_dismiss(actor=people["working_group"], proposals=[proposal])

    # then
    proposal.refresh_from_db()
    assert (count, proposal.status, proposal.decided_by) == (
        1,
        "dismissed",
        people["working_group"],
    )
    assert Measure.objects.get(number=1).title == proposal.found


# --- the command ----------------------------------------------------------------------


def test_import_report_command_repairs_spaces_in_the_name_of_a_working_group_member(khao_thong):
    # given
    people = _people(khao_thong)
    out = StringIO()

    # when
    call_command(
        "import_report", str(SEED), "--org", "khao-thong", "--year", "2564",
        "--user", people["working_group"].username, "--repair-spaces", stdout=out,
    )  # fmt: skip

    # then
    assert "64 texts with line-wrap spaces (repaired: 64)" in out.getvalue()
    for number, expected in EXPECTED_TITLES.items():
        assert Measure.objects.get(number=number).title == expected
    # every measure had a wrapped title or method
    assert Measure.history.filter(history_change_reason=SPACING_REASON).count() == 7


def test_import_report_command_repair_spaces_needs_a_person_who_may(khao_thong):
    # given
    people = _people(khao_thong)

    # when / then: without a person, or with one who may not, nothing is imported
    for user in ([], ["--user", people["auditor"].username]):
        with pytest.raises(CommandError):
            call_command(
                "import_report", str(SEED), "--org", "khao-thong", "--year", "2564",
                *user, "--repair-spaces", stdout=StringIO(),
            )  # fmt: skip
    assert not Measure.objects.exists() and not SpacingProposal.objects.exists()


# --- word-aware shortening ------------------------------------------------------------


def test_words_shorten_ends_at_a_word_boundary_with_an_ellipsis():
    # given the longest seed title, repaired
    title = EXPECTED_TITLES[7]

    # when
    short = wording.words_shorten(title, 40)

    # then it is cut between two dictionary words, never inside one
    assert short.endswith(wording.ELLIPSIS) and len(short) <= 40
    kept = short[: -len(wording.ELLIPSIS)]
    assert title.startswith(kept)
    boundaries, position = set(), 0
    for token in wording.words(title):
        position += len(token)
        boundaries.add(position)
    assert len(kept) in boundaries
    assert wording.words_shorten("สั้น", 40) == "สั้น"


def test_words_shorten_a_single_long_word_never_splits_a_vowel_from_its_consonant():
    short = wording.words_shorten("ดำเนินการดำเนินการดำเนินการ", 5)
    assert short.endswith(wording.ELLIPSIS) and len(short) <= 5
    assert not short[: -len(wording.ELLIPSIS)].endswith(("เ", "ด"))


def test_parse_keeps_the_text_as_found_the_proposal_is_separate():
    # the parser (no database) is unchanged: what the document said
    parsed = report_parse(SEED)
    assert parsed.measures[0].title.startswith("ปรับปรุง เว็บไซต์ หน่วยงานเพื่อ")


LONG_TITLE = " ".join([EXPECTED_TITLES[7], EXPECTED_TITLES[4], EXPECTED_TITLES[6]])


def _cut_on_a_word(shortened: str, text: str) -> bool:
    kept = shortened.removesuffix(wording.ELLIPSIS).rstrip()
    boundaries, position = set(), 0
    for token in wording.words(text):
        position += len(token)
        boundaries.add(position)
    return text.startswith(kept) and len(kept) in boundaries


def test_email_subject_and_list_cut_a_long_title_at_a_word_boundary(world, client, mailoutbox):
    from approvals import delivery
    from approvals.models import OutboxMessage

    # given a drafted measure with a long title
    measure = world.measure(title=LONG_TITLE)

    # when its division head submits it and the e-mail goes out
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=world["head"])
    message = OutboxMessage.objects.filter(transition_log=log).first()
    delivery.outbox_send(message_id=message.pk)

    # then the subject names the measure up to a whole word, with an ellipsis
    subject = mailoutbox[0].subject
    thai_part = subject.split(" / ")[0]
    label = thai_part.split("มาตรการข้อ ")[1].split(" ", 1)[1]
    assert label.endswith(wording.ELLIPSIS) and _cut_on_a_word(label, LONG_TITLE)
    # and so does the list of measures
    client.force_login(world["working_group"])
    page = client.get("/measures/").content.decode()
    shown = wording.words_shorten(LONG_TITLE, 140)
    assert shown in page and _cut_on_a_word(shown, LONG_TITLE)
