"""What must be scheduled, from the facts of care (`requirement_rules`): due dates by level,
approved services and the waitlist, one-off kites and evaluations, acuity, and the waitlist's
order."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiteline.care.levels import PRESETS
from kiteline.scheduling.problem import MAX_ACUITY, Kind
from kiteline.scheduling.requirement_rules import (
    EvaluationFact,
    Facts,
    KiteFact,
    LevelContact,
    LevelFact,
    ServiceFact,
    Spec,
    specs,
)

MONDAY = date(2026, 3, 2)
# The most levels any preset scheme has: acuity is drawn over the levels that exist.
MOST_LEVELS = max(len(scheme.levels) for scheme in PRESETS.values())


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def level(
    index: int = 2,
    assigned: int = 0,
    *contacts: LevelContact,
    booking: int = 1,
) -> LevelFact:
    return LevelFact(
        booking=booking,
        level_index=index,
        assigned_on=day(assigned),
        contacts=contacts or (LevelContact("clinician", 7),),
    )


def service(every_days: int | None = 7, approved: int = 0, *, booking: int = 1) -> ServiceFact:
    return ServiceFact(
        booking=booking,
        decision=40,
        service_code="individual_therapy",
        approved_on=day(approved),
        session_type="therapy",
        every_days=every_days,
    )


def evaluation(
    number: int = 7,
    *,
    urgency: str = "routine",
    safety: bool = False,
    medication_check: bool = False,
    booking: int = 1,
) -> EvaluationFact:
    return EvaluationFact(
        booking=booking,
        evaluation=number,
        medication_check=medication_check,
        urgency=urgency,
        safety=safety,
        opened_on=day(0),
        due_on=day(2),
    )


def kite(number: int = 30, *, urgent: bool = False, due: int = 2, booking: int = 1) -> KiteFact:
    return KiteFact(
        booking=booking, kite=number, received_on=day(0), due_on=day(due), urgent=urgent
    )


def only(facts: Facts) -> Spec:
    (spec,) = specs(facts)
    return spec


# --- contacts required by the level of care ------------------------------------------------


def test_with_no_contact_attended_the_level_contact_is_due_its_interval_after_the_level() -> None:
    spec = only(Facts(levels=(level(2, 0, LevelContact("clinician", 7)),)))
    assert (spec.key, spec.source, spec.session) == ("level:clinician", "level", Kind.INDIVIDUAL)
    assert (spec.earliest, spec.due, spec.waiting_since) == (day(0), day(7), day(0))
    assert spec.mandatory
    assert spec.decision is None


def test_the_level_contact_counts_from_the_last_one_attended() -> None:
    facts = Facts(
        levels=(level(2, -30, LevelContact("clinician", 7)),),
        last_attended={(1, "level:clinician"): day(3)},
    )
    spec = only(facts)
    # Not again the same day, and due a week after the last.
    assert (spec.earliest, spec.due, spec.waiting_since) == (day(4), day(10), day(3))


def test_a_contact_attended_for_another_key_or_stay_does_not_count() -> None:
    facts = Facts(
        levels=(level(2, 0, LevelContact("clinician", 7)),),
        last_attended={(1, "level:psychiatry"): day(5), (2, "level:clinician"): day(5)},
    )
    assert only(facts).due == day(7)


def test_a_more_intensive_level_is_due_the_day_it_is_set_never_before() -> None:
    """Outpatient, last seen twenty days ago; moved to crisis care (daily) today: the contact
    is due today, not late since nineteen days before anyone asked for it."""
    facts = Facts(
        levels=(level(3, 0, LevelContact("clinician", 1)),),
        last_attended={(1, "level:clinician"): day(-20)},
    )
    spec = only(facts)
    assert spec.due == day(0)
    assert spec.earliest <= spec.due
    assert spec.waiting_since == day(-20)


def test_each_contact_of_a_level_is_its_own_requirement_in_its_kind_of_session() -> None:
    contacts = (
        LevelContact("clinician", 90),
        LevelContact("psychiatry", 30),
        LevelContact("treatment_plan", 365),
    )
    found = {s.key: (s.session, s.due) for s in specs(Facts(levels=(level(1, 0, *contacts),)))}
    assert found == {
        "level:clinician": (Kind.INDIVIDUAL, day(90)),
        "level:psychiatry": (Kind.PSYCHIATRY, day(30)),
        "level:treatment_plan": (Kind.INDIVIDUAL, day(365)),
    }


# --- approved services and the waitlist -----------------------------------------------------


def test_the_first_session_of_an_approved_service_is_the_waitlist_not_mandatory() -> None:
    spec = only(Facts(services=(service(every_days=7, approved=-10),)))
    assert (spec.key, spec.source, spec.session) == (
        "service:individual_therapy",
        "service",
        "therapy",
    )
    assert not spec.mandatory
    assert (spec.earliest, spec.due, spec.waiting_since) == (day(-10), day(-3), day(-10))
    assert spec.decision == 40


def test_once_a_course_has_begun_each_next_session_is_mandatory_at_its_interval() -> None:
    facts = Facts(
        services=(service(every_days=14, approved=-40),),
        last_attended={(1, "service:individual_therapy"): day(-2)},
    )
    spec = only(facts)
    assert spec.mandatory
    assert (spec.earliest, spec.due, spec.waiting_since) == (day(-1), day(12), day(-2))


def test_a_single_session_service_waits_on_the_waitlist_then_stops_once_attended() -> None:
    waiting = only(Facts(services=(service(every_days=None, approved=0),)))
    assert not waiting.mandatory
    assert waiting.due == day(14)  # wanted within two weeks of approval
    attended = Facts(
        services=(service(every_days=None, approved=0),),
        last_attended={(1, "service:individual_therapy"): day(5)},
    )
    assert specs(attended) == ()


def test_a_service_weighs_more_for_a_person_on_a_more_intensive_level() -> None:
    def acuity(index: int) -> int:
        facts = Facts(levels=(level(index, 0),), services=(service(),))
        return next(s.acuity for s in specs(facts) if s.source == "service")

    assert acuity(0) < acuity(1) < acuity(3)


# --- one-off requirements: kites and evaluations ---------------------------------------------


def test_a_kite_is_due_by_its_face_to_face_deadline() -> None:
    spec = only(Facts(kites=(kite(30, due=2),)))
    assert (spec.key, spec.source, spec.session) == ("kite:30", "kite", Kind.INDIVIDUAL)
    assert (spec.earliest, spec.due, spec.waiting_since) == (day(0), day(2), day(0))
    assert spec.mandatory


def test_an_urgent_kite_with_two_clocks_is_one_requirement_due_by_the_nearer() -> None:
    """Triaged urgent with a symptom: an urgent clock (a day) and a face-to-face clock
    (two days), in either order."""
    urgent = only(Facts(kites=(kite(31, urgent=True),))).acuity
    clocks = (kite(30, due=2), kite(30, urgent=True, due=1))
    for order in (clocks, clocks[::-1]):
        spec = only(Facts(kites=order))
        assert (spec.key, spec.due, spec.acuity) == ("kite:30", day(1), urgent)


def test_an_urgent_kite_weighs_more_than_a_routine_one() -> None:
    urgent = only(Facts(kites=(kite(urgent=True),)))
    routine = only(Facts(kites=(kite(urgent=False),)))
    assert urgent.acuity > routine.acuity


def test_a_medication_check_needs_a_psychiatry_session() -> None:
    spec = only(Facts(evaluations=(evaluation(7, medication_check=True, urgency="urgent"),)))
    assert (spec.key, spec.source, spec.session) == ("evaluation:7", "evaluation", Kind.PSYCHIATRY)
    assert only(Facts(evaluations=(evaluation(7),))).session == Kind.INDIVIDUAL


def test_kites_and_evaluations_already_met_are_never_opened_again() -> None:
    facts = Facts(
        kites=(kite(30), kite(31)),
        evaluations=(evaluation(7), evaluation(8)),
        met_once=frozenset({(1, "kite:30"), (1, "evaluation:7"), (2, "kite:31")}),
    )
    # Met for stay 1 only: kite 31 belongs to stay 1, and is still owed.
    assert [s.key for s in specs(facts)] == ["evaluation:8", "kite:31"]


def test_a_recurring_requirement_is_not_held_back_by_met_once() -> None:
    facts = Facts(
        levels=(level(),),
        last_attended={(1, "level:clinician"): day(1)},
        met_once=frozenset({(1, "level:clinician")}),
    )
    assert only(facts).due == day(8)


# --- acuity: what matters most when not everything fits --------------------------------------


def test_a_safety_evaluation_outweighs_everything_else() -> None:
    top = MOST_LEVELS - 1
    facts = Facts(
        levels=(level(top, 0, LevelContact("clinician", 1), LevelContact("psychiatry", 7)),),
        services=(service(),),
        kites=(kite(30, urgent=True),),
        evaluations=(
            evaluation(7, safety=True, urgency="routine"),
            evaluation(8, urgency="emergent"),
            evaluation(9, medication_check=True, urgency="emergent"),
        ),
        last_attended={(1, "service:individual_therapy"): day(-1)},
    )
    found = specs(facts)
    safety = next(s for s in found if s.key == "evaluation:7")
    assert safety.acuity == MAX_ACUITY
    assert all(s.acuity < safety.acuity for s in found if s is not safety)


def test_a_more_intensive_level_weighs_more() -> None:
    acuities = [only(Facts(levels=(level(index),))).acuity for index in range(MOST_LEVELS)]
    assert acuities == sorted(set(acuities))


def test_an_emergent_evaluation_weighs_more_than_an_urgent_then_a_routine_one() -> None:
    weights = [
        only(Facts(evaluations=(evaluation(urgency=urgency),))).acuity
        for urgency in ("emergent", "urgent", "routine")
    ]
    assert weights == sorted(weights, reverse=True)
    assert len(set(weights)) == 3


# --- properties over any facts ---------------------------------------------------------------

DATES = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
BOOKINGS = st.integers(1, 4)


@st.composite
def any_facts(draw: st.DrawFn) -> Facts:
    kinds = st.sampled_from(("clinician", "psychiatry", "treatment_plan"))
    levels = draw(
        st.dictionaries(
            BOOKINGS,
            st.builds(
                lambda index, on, contacts: (index, on, contacts),
                st.integers(0, MOST_LEVELS - 1),
                DATES,
                st.dictionaries(kinds, st.integers(1, 365), max_size=3),
            ),
            max_size=4,
        )
    )
    services = draw(
        st.dictionaries(
            st.tuples(BOOKINGS, st.sampled_from(("therapy", "group"))),
            st.tuples(DATES, st.none() | st.integers(1, 90)),
            max_size=4,
        )
    )
    # A kite belongs to one stay; its two clocks (urgent, face to face) are two facts.
    kites = draw(
        st.lists(
            st.builds(
                lambda number, received, due, urgent: KiteFact(
                    number % 4 + 1, number, received, due, urgent
                ),
                st.integers(1, 5),
                DATES,
                DATES,
                st.booleans(),
            ),
            max_size=6,
        )
    )
    evaluations = draw(
        st.dictionaries(
            st.integers(1, 5),
            st.builds(
                EvaluationFact,
                BOOKINGS,
                st.just(0),
                st.booleans(),
                st.sampled_from(("emergent", "urgent", "routine")),
                st.booleans(),
                DATES,
                DATES,
            ),
            max_size=4,
        )
    )
    keys = [f"level:{k}" for k in ("clinician", "psychiatry", "treatment_plan")]
    keys += ["service:therapy", "service:group"] + [f"kite:{n}" for n in range(1, 6)]
    keys += [f"evaluation:{n}" for n in range(1, 6)]
    last = draw(st.dictionaries(st.tuples(BOOKINGS, st.sampled_from(keys)), DATES, max_size=8))
    met = draw(st.frozensets(st.tuples(BOOKINGS, st.sampled_from(keys)), max_size=6))
    return Facts(
        levels=tuple(
            LevelFact(
                booking,
                index,
                on,
                tuple(LevelContact(kind, every) for kind, every in contacts.items()),
            )
            for booking, (index, on, contacts) in levels.items()
        ),
        services=tuple(
            ServiceFact(booking, 50 + n, code, on, code, every)
            for n, ((booking, code), (on, every)) in enumerate(services.items())
        ),
        kites=tuple(kites),
        evaluations=tuple(
            EvaluationFact(
                fact.booking,
                number,
                fact.medication_check,
                fact.urgency,
                fact.safety,
                fact.opened_on,
                fact.due_on,
            )
            for number, fact in evaluations.items()
        ),
        last_attended=last,
        met_once=met,
    )


@given(any_facts())
def test_every_requirement_has_earliest_on_or_before_due_and_a_bounded_acuity(
    facts: Facts,
) -> None:
    for spec in specs(facts):
        assert spec.waiting_since <= spec.earliest <= spec.due
        assert 1 <= spec.acuity <= MAX_ACUITY


@given(any_facts())
def test_at_most_one_requirement_per_stay_and_key_in_a_stable_order(facts: Facts) -> None:
    keys = [(spec.booking, spec.key) for spec in specs(facts)]
    assert keys == sorted(set(keys))
    assert specs(facts) == specs(facts)


@given(any_facts())
def test_nothing_met_once_comes_back_and_safety_comes_first(facts: Facts) -> None:
    found = specs(facts)
    for spec in found:
        if spec.source in ("kite", "evaluation"):
            assert (spec.booking, spec.key) not in facts.met_once
    safety = [s.acuity for s in found if s.acuity == MAX_ACUITY]
    others = [s.acuity for s in found if s.acuity != MAX_ACUITY]
    assert len(safety) == sum(
        e.safety and (e.booking, f"evaluation:{e.evaluation}") not in facts.met_once
        for e in facts.evaluations
    )
    assert all(acuity < MAX_ACUITY for acuity in others)
