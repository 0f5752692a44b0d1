"""The yearly ITA cycle: the scheme as data, last year's result and its analysis through the
workflow, measures linked to indicators, and a new fiscal year opened from the last."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from approvals.exceptions import NotPermitted, TransitionNotAllowed, ValidationFailed
from approvals.models import Notification, Role
from approvals.services import transition_perform
from audit import chain
from audit.models import ChainEntry, TransitionLog
from tests.factories import FiscalYearFactory, MeasureFactory, MembershipFactory, UserFactory
from workflow.assessment import (
    Analysis,
    AnalysisPublication,
    AssessmentScheme,
    Indicator,
    ItaResult,
)
from workflow.assessment_data import SHIPPED_YEARS, schemes_load
from workflow.assessment_selectors import (
    analysis_chart,
    analysis_snapshot,
    indicators_unanswered,
    public_analysis,
)
from workflow.assessment_services import (
    analysis_create,
    analysis_update,
    fiscal_year_open,
    ita_result_save,
    measure_indicators_set,
)
from workflow.models import Action, FiscalYear, Measure, ReportingRound, State

pytestmark = pytest.mark.django_db

# อบจ.นครสวรรค์, ITA 2564 (published as O42 of ITA 2565): total 96.87 (AA), indicator 1 97.68.
# The other indicator scores are illustrative; indicator 7 is set below the pass mark.
NAKHON_SAWAN_2564 = {
    1: "97.68", 2: "98.10", 3: "97.95", 4: "96.40", 5: "95.22",
    6: "93.80", 7: "82.50", 8: "91.35", 9: "100.00", 10: "98.75",
}  # fmt: skip


@pytest.fixture
def schemes(db):
    schemes_load()  # a database flushed by an earlier transactional test has lost them
    return AssessmentScheme.objects.all()


@pytest.fixture
def second_working_group(world):
    user = UserFactory(username="working_group_2")
    MembershipFactory(user=user, organization=world.organization, role=Role.WORKING_GROUP)
    return user


def _fresh(item):
    return type(item).objects.get(pk=item.pk)


def test_schemes_load_ships_2564_to_2568_with_indicators_levels_and_oit_items(schemes):
    # when the migration has run (and a second load changes nothing)
    assert schemes_load() == 0

    # then
    assert sorted(schemes.values_list("year", flat=True)) == list(SHIPPED_YEARS)
    scheme = AssessmentScheme.objects.get(year=2564)
    assert scheme.pass_mark == Decimal("85")
    assert [t.code for t in scheme.tools.all()] == ["IIT", "EIT", "OIT"]
    assert scheme.indicators.count() == 10
    assert scheme.indicators.get(number=1).name_th == "การปฏิบัติหน้าที่"
    assert scheme.indicators.get(number=10).tool.code == "OIT"
    assert [b.level for b in scheme.bands.all()] == ["AA", "A", "B", "C", "D", "E", "F"]
    assert scheme.level_for(Decimal("96.87")) == "AA"
    assert scheme.level_for(Decimal("84.99")) == "B"
    assert {i.purpose: i.code for i in scheme.oit_items.all()} == {
        "measures": "O42",
        "results": "O43",
    }
    assert (scheme.oit_opens_on.isoformat(), scheme.oit_closes_on.isoformat()) == (
        "2021-03-01",
        "2021-04-30",
    )
    assert not AssessmentScheme.objects.get(year=2565).to_check
    assert all(AssessmentScheme.objects.get(year=y).to_check for y in (2566, 2567, 2568))


def test_ita_result_save_reads_the_level_from_the_bands_and_refuses_bad_scores(world, schemes):
    # given
    wg = world["working_group"]

    # when
    result = ita_result_save(
        organization=world.organization, year=2564, score="๙๖.๘๗",
        indicator_scores=NAKHON_SAWAN_2564, actor=wg,
    )  # fmt: skip

    # then
    assert (result.score, result.level) == (Decimal("96.87"), "AA")
    assert result.scores.count() == 10
    assert result.history.count() >= 1

    # and bad input is refused with nothing changed
    with pytest.raises(ValidationFailed) as refused:
        ita_result_save(
            organization=world.organization, year=2564, score="101",
            indicator_scores={**NAKHON_SAWAN_2564, 2: "abc"}, actor=wg,
        )  # fmt: skip
    assert set(refused.value.fields) == {"score", "indicator_2"}
    assert _fresh(result).score == Decimal("96.87")
    with pytest.raises(NotPermitted):
        ita_result_save(
            organization=world.organization, year=2564, score="90",
            indicator_scores=NAKHON_SAWAN_2564, actor=world["head"],
        )  # fmt: skip


def test_analysis_with_the_nakhon_sawan_figures_goes_through_the_workflow_and_is_published(
    world, schemes, second_working_group
):
    # given the ITA 2564 result and its analysis for the measures of 2565
    wg = world["working_group"]
    ita_result_save(
        organization=world.organization, year=2564, score="96.87",
        indicator_scores=NAKHON_SAWAN_2564, actor=wg,
    )  # fmt: skip
    year_2565 = FiscalYearFactory(year=2565)
    analysis = analysis_create(organization=world.organization, fiscal_year=year_2565, actor=wg)
    analysis = analysis_update(
        analysis=analysis, actor=wg,
        summary="นำประเด็นที่ต้องปรับปรุงมากำหนดเป็นมาตรการประจำปีงบประมาณ พ.ศ. ๒๕๖๕",
        issues={1: "ควรเผยแพร่ขั้นตอนการปฏิบัติงานให้ชัดเจน", 7: "ปรับปรุงช่องทางการสื่อสาร"},
    )  # fmt: skip

    # when it goes drafted → published
    steps = [
        (Action.SUBMIT, wg),
        (Action.REVIEW, second_working_group),
        (Action.APPROVE, world["chief"]),
        (Action.PUBLISH, world["publisher"]),
    ]
    for action, who in steps:
        transition_perform(item=analysis, action=action, actor=who)

    # then every step is recorded and chained, and the people next in line were told
    analysis = _fresh(analysis)
    assert analysis.state == State.PUBLISHED
    logs = TransitionLog.objects.filter(analysis=analysis).order_by("created_at", "id")
    assert [log.action for log in logs] == ["submit", "review", "approve", "publish"]
    assert all(log.measure_id is None for log in logs)
    chained = ChainEntry.objects.filter(
        subject_model="workflow.analysis",
        subject_pk=analysis.pk,
        record_model="audit.transitionlog",
    )
    assert chained.count() == 4
    assert Notification.objects.filter(
        user=world["chief"], transition_log__analysis=analysis, action="review"
    ).exists()
    reasons = list(analysis.history.values_list("history_change_reason", flat=True))
    assert "publish" in reasons and "submit" in reasons
    # and what is published is frozen: the score, the level and the issues
    publication = AnalysisPublication.objects.get(analysis=analysis)
    assert (publication.content["score"], publication.content["level"]) == ("96.87", "AA")
    rows = {r["number"]: r for t in publication.content["tools"] for r in t["rows"]}
    assert rows[1]["score"] == "97.68"
    assert rows[7]["issues"] == "ปรับปรุงช่องทางการสื่อสาร"
    assert publication.approved_by == world["chief"]
    published = public_analysis(organization=world.organization, fiscal_year=year_2565)
    assert published.content["level"] == "AA"
    assert len(published.chart.rows) == 10
    # and the organization's audit chain still verifies, links written before and after
    assert chain.verify(world.organization.pk).ok


def test_columns_added_later_enter_the_hash_only_when_they_hold_a_value(world):
    # given a transition of a measure: no analysis, and a measure carried from nowhere
    measure = world.measure()
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=world["head"])

    # then the hashed data of the rows is what it was before those columns existed
    assert "analysis_id" not in chain.record_data(log)
    assert "carried_from_id" not in chain.record_data(measure.history.latest())
    assert "carried_from_id" in chain.record_data(measure)  # not chained itself: all columns


def test_analysis_is_written_by_the_working_group_and_never_reviewed_by_its_submitter(
    world, schemes
):
    # given
    wg = world["working_group"]
    ita_result_save(
        organization=world.organization, year=2564, score="96.87",
        indicator_scores=NAKHON_SAWAN_2564, actor=wg,
    )  # fmt: skip
    analysis = analysis_create(
        organization=world.organization, fiscal_year=FiscalYearFactory(year=2565), actor=wg
    )

    # then only the working group edits and submits it, the submitter does not review it
    for who in ("head", "chief", "publisher", "auditor", "outsider"):
        with pytest.raises(NotPermitted):
            analysis_update(analysis=analysis, actor=world[who], summary="x")
        with pytest.raises(NotPermitted):
            transition_perform(item=analysis, action=Action.SUBMIT, actor=world[who])
    transition_perform(item=analysis, action=Action.SUBMIT, actor=wg)
    with pytest.raises(NotPermitted):
        transition_perform(item=analysis, action=Action.REVIEW, actor=wg)
    with pytest.raises(TransitionNotAllowed):
        transition_perform(item=analysis, action=Action.APPROVE, actor=world["chief"])


def test_indicator_below_the_pass_mark_with_no_measure_is_flagged(world, schemes):
    # given the 2564 result (indicator 7 at 82.50) and a 2565 measure answering indicator 1
    wg = world["working_group"]
    ita_result_save(
        organization=world.organization, year=2564, score="96.87",
        indicator_scores=NAKHON_SAWAN_2564, actor=wg,
    )  # fmt: skip
    year_2565 = FiscalYearFactory(year=2565)
    analysis = analysis_create(organization=world.organization, fiscal_year=year_2565, actor=wg)
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=year_2565, divisions=[world.division],
        period_start=_d(2021, 10), period_end=_d(2022, 9),
    )  # fmt: skip
    one = Indicator.objects.get(scheme__year=2565, number=1)
    measure_indicators_set(measure=measure, actor=wg, indicator_ids=[one.pk])

    # when
    snapshot = analysis_snapshot(analysis)

    # then indicator 7 is flagged, indicator 1 names its measure
    assert [row["number"] for row in indicators_unanswered(snapshot)] == [7]
    rows = {r["number"]: r for t in snapshot["tools"] for r in t["rows"]}
    assert [m["number"] for m in rows[1]["measures"]] == [measure.number]

    # and once a measure answers indicator 7, nothing is flagged
    seven = Indicator.objects.get(scheme__year=2565, number=7)
    measure_indicators_set(measure=measure, actor=wg, indicator_ids=[one.pk, seven.pk])
    assert indicators_unanswered(analysis_snapshot(analysis)) == []


def _d(year, month):
    import datetime as dt

    return dt.date(year, month, 1)


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())
    from workflow.models import Organization

    return Organization.objects.get(slug="khao-thong")


def test_fiscal_year_open_carries_the_seed_measures_into_2565_once(seeded):
    # given the seed's seven measures of 2564 with their indicators
    before = {
        m.pk: (m.state, m.version, m.title)
        for m in Measure.objects.filter(organization=seeded, fiscal_year__year=2564)
    }
    assert Measure.objects.filter(fiscal_year__year=2564, indicators__isnull=False).exists()

    # when the command opens 2565 (the fiscal year does not exist yet)
    assert not FiscalYear.objects.filter(year=2565).exists()
    out = StringIO()
    call_command(
        "fiscal_year_open", "--org", "khao-thong", "--from", "2564", "--to", "2565", stdout=out
    )

    # then exactly 7 drafted measures of 2565 with their methods, divisions and indicators
    new = list(
        Measure.objects.filter(organization=seeded, fiscal_year__year=2565)
        .prefetch_related("methods", "divisions", "indicators")
        .order_by("number")
    )
    assert len(new) == 7
    assert "7 measure(s) carried into 2565" in out.getvalue()
    for copy in new:
        origin = copy.carried_from
        assert copy.state == State.DRAFTED
        assert copy.number == origin.number and copy.title == origin.title
        assert [m.text for m in copy.methods.all()] == [m.text for m in origin.methods.all()]
        assert {d.pk for d in copy.divisions.all()} == {d.pk for d in origin.divisions.all()}
        assert sorted(i.number for i in copy.indicators.all()) == sorted(
            i.number for i in origin.indicators.all()
        )
        assert {i.scheme.year for i in copy.indicators.all()} <= {2565}
        assert (copy.period_start.year, copy.period_end.year) == (
            origin.period_start.year + 1,
            origin.period_end.year + 1,
        )
        assert FiscalYear.objects.get(year=2565).contains(copy.period_start)
        version = copy.history.latest()
        assert version.history_change_reason == (
            f"คัดลอกจากมาตรการข้อ {'๐๑๒๓๔๕๖๗๘๙'[origin.number]} ปีงบประมาณ ๒๕๖๔"
        )
        assert len(version.history_children["methods"]) == origin.methods.count()
        assert len(version.history_children["indicators"]) == origin.indicators.count()
    assert list(
        ReportingRound.objects.filter(organization=seeded, fiscal_year__year=2565)
        .order_by("due_on")
        .values_list("name", "due_on")
    ) == [
        ("รอบ 6 เดือน", _d(2022, 4).replace(day=30)),
        ("รอบ 12 เดือน", _d(2022, 10).replace(day=31)),
    ]
    # and nothing of 2564 changed
    assert {
        m.pk: (m.state, m.version, m.title)
        for m in Measure.objects.filter(organization=seeded, fiscal_year__year=2564)
    } == before

    # when it runs a second time, nothing is copied
    opened = fiscal_year_open(organization=seeded, from_year=2564, to_year=2565)
    assert (len(opened.created), len(opened.already_carried), len(opened.rounds_created)) == (
        0,
        7,
        0,
    )
    assert Measure.objects.filter(organization=seeded, fiscal_year__year=2565).count() == 7


def test_fiscal_year_open_is_for_the_working_group_and_the_next_year_only(world, schemes):
    # given
    world.measure()

    # then
    with pytest.raises(NotPermitted):
        fiscal_year_open(
            organization=world.organization, from_year=2564, to_year=2565, actor=world["head"]
        )
    with pytest.raises(ValidationFailed):
        fiscal_year_open(
            organization=world.organization, from_year=2564, to_year=2566,
            actor=world["working_group"],
        )  # fmt: skip
    assert not FiscalYear.objects.filter(year=2565).exists()
    opened = fiscal_year_open(
        organization=world.organization, from_year=2564, to_year=2565,
        actor=world["working_group"],
    )  # fmt: skip
    assert len(opened.created) == 1
    assert opened.created[0].history.latest().history_user == world["working_group"]
    assert ItaResult.objects.count() == 0 and Analysis.objects.count() == 0


def test_the_chart_sets_this_assessment_against_the_one_before(world, schemes):
    # given the ITA results of 2564 and 2565, and the analysis of 2565 for the measures of 2566
    wg = world["working_group"]
    for year, shift in ((2564, "0"), (2565, "1.50")):
        scores = {
            n: str(min(Decimal(s) + Decimal(shift), 100)) for n, s in NAKHON_SAWAN_2564.items()
        }
        ita_result_save(
            organization=world.organization, year=year, score="90", indicator_scores=scores,
            actor=wg,
        )  # fmt: skip
    analysis = analysis_create(
        organization=world.organization, fiscal_year=FiscalYearFactory(year=2566), actor=wg
    )

    # when
    chart = analysis_chart(analysis_snapshot(analysis))

    # then each indicator has a bar for 2565 and a shorter one for 2564, scaled to 100
    seven = next(row for row in chart.rows if row.number == 7)
    assert (seven.current.value, seven.previous.value) == ("84.00", "82.50")
    assert seven.current.width > seven.previous.width
    assert chart.pass_x == chart.plot_x + round(85 / 100 * chart.plot_width, 1)
    assert all(row.current and row.previous for row in chart.rows)
