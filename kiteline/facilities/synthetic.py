"""A synthetic roster for demos, tests and benchmarks: plausible in shape, real in nobody.

`plan_facility` is a pure function of its arguments. The same kind, size, seed and `now`
give the same plan, so callers that want a stable roster must pass a stable `now` (the
`seed` command passes today's UTC midnight). All randomness comes from one
`random.Random(seed)`, drawn in a fixed order; no draw depends on the iteration order of a
set, which can change between runs.

Shape: a main facility books everyone; an annex receives transfers. The people in custody
now carry their current stay and, for some, earlier stays (re-bookings); people released
and not back fill the recent history. Stays are lognormal, so most are short and a few
are very long, as in BJS figures (jail mean 32 days; prison, years).
"""

import itertools
import math
import random
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MAX_RESIDENTS = 2_000_000
# The seed is part of the facility code, which must fit the code's 32 characters.
MAX_SEED = 999_999_999
PEOPLE_PER_UNIT = 55
SECONDS_PER_DAY = 86_400
MIN_STAY_SECONDS = 3_600
MIN_TIME_IN_CUSTODY_SECONDS = 60
# Bounds the rows a very long stay or a long record can produce.
MAX_MOVES_PER_STAY = 6
MAX_BOOKINGS_PER_PERSON = 5
# Share of the people in custody now who are held at the annex; its units are sized to match.
ANNEX_SHARE = 0.2

GIVEN_NAMES = (
    "Alder", "Ash", "Aspen", "Birch", "Bittern", "Cedar", "Curlew", "Cypress", "Dunlin",
    "Elm", "Fir", "Finch", "Gannet", "Grebe", "Hawthorn", "Hazel", "Heron", "Holly",
    "Ibis", "Juniper", "Kestrel", "Larch", "Lark", "Linden", "Linnet", "Maple", "Merlin",
    "Oak", "Osprey", "Pine", "Pipit", "Plover", "Poplar", "Redstart", "Robin", "Rowan",
    "Sedge", "Sorrel", "Spruce", "Starling", "Swift", "Sycamore", "Tamarack", "Teal",
    "Tern", "Thrush", "Wagtail", "Willow", "Wren", "Yew",
)  # fmt: skip
FAMILY_NAME_STARTS = (
    "Demo", "Dummy", "Example", "Fixture", "Mock", "Placeholder", "Proto", "Sample",
    "Stub", "Synth", "Test", "Trial",
)  # fmt: skip
FAMILY_NAME_ENDS = (
    "brook", "by", "dale", "field", "ford", "ham", "hurst", "ley", "mere", "ridge",
    "stone", "ton", "wick", "wood", "worth",
)  # fmt: skip

US_TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
)  # fmt: skip

SEXES = ("M", "F", "X", "U")
LANGUAGES = ("en", "es", "vi", "zh", "ar", "ht", "ru", "so", "ase")
LANGUAGE_WEIGHTS = (78.5, 17.0, 1.2, 1.0, 0.7, 0.7, 0.4, 0.3, 0.2)
# Chance that a speaker of the language needs an interpreter; American Sign Language always does.
NEEDS_INTERPRETER = {"en": 0.0, "es": 0.35, "ase": 1.0}
NEEDS_INTERPRETER_OTHER = 0.8
READS_WITH_HELP = 0.15
RACE_ETHNICITY_RECORDED = 0.9
RACE_ETHNICITIES = (
    "White", "Black", "Hispanic", "Asian", "American Indian or Alaska Native",
    "Native Hawaiian or Other Pacific Islander", "Two or more races",
)  # fmt: skip
RACE_ETHNICITY_WEIGHTS = (47, 34, 14, 1.5, 1.5, 0.5, 1.5)

# Kinds of housing unit: code prefix, name, and share of the people housed in them.
UNIT_KINDS = (
    ("GP", "General population pod", 0.88),
    ("MED", "Medical unit", 0.04),
    ("RHU", "Restrictive housing unit", 0.08),
)
UNIT_CUM_WEIGHTS = tuple(itertools.accumulate(share for _, _, share in UNIT_KINDS))

# A stay's route through the facilities: 0 is the main facility, 1 the annex. Everyone is
# booked at the main facility; the annex only receives transfers.
ROUTES = ((0,), (0, 1), (0, 1, 0))
IN_CUSTODY_ROUTE_WEIGHTS = (0.97 - ANNEX_SHARE, ANNEX_SHARE, 0.03)
RELEASED_ROUTE_WEIGHTS = (0.88, 0.08, 0.04)

# Adults only, with a margin so that no local date makes someone 17 at booking.
MIN_AGE_AT_FIRST_STAY = 18.1
COMMON_AGE_AT_FIRST_STAY = 24
MAX_AGE_AT_FIRST_STAY = 65
OLDEST_AGE_NOW = 85


@dataclass(frozen=True, slots=True)
class _Profile:
    facility_name: str
    # Before the cap on a stay's length, which trims it by about 1%.
    mean_stay_days: float
    # Spread of the stay's logarithm: larger means more very short and very long stays.
    stay_sigma: float
    max_stay_days: float
    days_between_moves: float
    # Share of the people in custody now who were held before (re-bookings).
    rebooked: float
    # Chance that each earlier stay had yet another before it.
    held_again: float
    # People released and not back, per person in custody now.
    released_people: float
    release_window_days: float
    mean_days_between_stays: float
    sex_weights: tuple[float, float, float, float]

    @property
    def stay_mu(self) -> float:
        return math.log(self.mean_stay_days) - self.stay_sigma**2 / 2


PROFILES = {
    "jail": _Profile(
        facility_name="Synthetic County Jail",
        mean_stay_days=32,
        stay_sigma=1.3,
        max_stay_days=4 * 365,
        days_between_moves=30,
        rebooked=0.35,
        held_again=0.35,
        released_people=1.0,
        release_window_days=365,
        mean_days_between_stays=200,
        sex_weights=(85.0, 14.0, 0.3, 0.7),
    ),
    "prison": _Profile(
        facility_name="Synthetic State Prison",
        mean_stay_days=2.6 * 365,
        stay_sigma=0.8,
        max_stay_days=30 * 365,
        days_between_moves=365,
        rebooked=0.2,
        held_again=0.2,
        released_people=0.25,
        release_window_days=5 * 365,
        mean_days_between_stays=4 * 365,
        sex_weights=(88.0, 11.0, 0.3, 0.7),
    ),
}
KINDS = tuple(PROFILES)


@dataclass(frozen=True, slots=True)
class FacilityPlan:
    code: str
    name: str
    kind: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class UnitPlan:
    facility_code: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class PlacementPlan:
    facility_code: str
    unit_code: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class BookingPlan:
    booking_number: str
    booked_at: datetime
    released_at: datetime | None
    # Oldest first; each ends when the next starts.
    placements: tuple[PlacementPlan, ...]

    @property
    def facility_code(self) -> str:
        """The facility holding the person now, or at release."""
        return self.placements[-1].facility_code


@dataclass(frozen=True, slots=True)
class PersonPlan:
    resident_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    language: str
    needs_interpreter: bool
    reads_without_help: bool
    race_ethnicity: str
    # Oldest first; only the last can be open.
    bookings: tuple[BookingPlan, ...]


@dataclass(frozen=True, slots=True)
class SyntheticPlan:
    kind: str
    seed: int
    now: datetime
    # The main facility, then the annex that receives transfers.
    facilities: tuple[FacilityPlan, FacilityPlan]
    units: tuple[UnitPlan, ...]
    people: tuple[PersonPlan, ...]

    @property
    def main(self) -> FacilityPlan:
        return self.facilities[0]

    @property
    def annex(self) -> FacilityPlan:
        return self.facilities[1]


# A stay while it is planned: its start and end in seconds relative to `now` (so negative;
# no end while open), and its placements as (facility index, unit code, start).
_Stay = tuple[int, int | None, list[tuple[int, str, int]]]
# A facility's housing units as (code, name), grouped in the order of UNIT_KINDS.
_Housing = list[list[tuple[str, str]]]


def plan_facility(*, kind: str, residents: int, seed: int, now: datetime) -> SyntheticPlan:
    """Plan a main facility and its annex holding `residents` people now, with their history."""
    _check_arguments(kind=kind, residents=residents, seed=seed, now=now)
    profile = PROFILES[kind]
    # Reproducible from the seed by design; nothing here is a secret.
    rng = random.Random(seed)  # noqa: S311
    code = f"synthetic-{kind}-{seed}"
    time_zone = rng.choice(US_TIME_ZONES)
    facilities = (
        FacilityPlan(code=code, name=profile.facility_name, kind=kind, time_zone=time_zone),
        FacilityPlan(
            code=f"{code}-annex",
            name=f"{profile.facility_name} Annex",
            kind=kind,
            time_zone=time_zone,
        ),
    )
    housing = (
        _housing(round(residents * (1 - ANNEX_SHARE))),
        _housing(round(residents * ANNEX_SHARE)),
    )
    units = tuple(
        UnitPlan(facility_code=facility.code, code=unit_code, name=name)
        for facility, facility_housing in zip(facilities, housing, strict=True)
        for units_of_kind in facility_housing
        for unit_code, name in units_of_kind
    )
    planner = _StayPlanner(rng, profile, housing)
    released_people = round(residents * profile.released_people)
    stays = [planner.stays(in_custody=True) for _ in range(residents)]
    stays += [planner.stays(in_custody=False) for _ in range(released_people)]
    numbers = _booking_numbers(stays, now, zoneinfo.ZoneInfo(time_zone))
    resident_numbers = rng.sample(range(1, 10**7), len(stays))
    codes = tuple(facility.code for facility in facilities)
    people = []
    for index, (person_stays, resident_number) in enumerate(
        zip(stays, resident_numbers, strict=True)
    ):
        bookings = tuple(
            _booking(numbers[index, stay_index], stay, now, codes)
            for stay_index, stay in enumerate(person_stays)
        )
        people.append(_person(rng, profile, now, f"R{resident_number:07d}", bookings))
    return SyntheticPlan(
        kind=kind, seed=seed, now=now, facilities=facilities, units=units, people=tuple(people)
    )


def _check_arguments(*, kind: str, residents: int, seed: int, now: datetime) -> None:
    if kind not in PROFILES:
        raise ValueError(f"The kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    if not isinstance(residents, int) or not 1 <= residents <= MAX_RESIDENTS:
        raise ValueError(
            f"The number of residents must be a whole number from 1 to {MAX_RESIDENTS:,}, "
            f"not {residents!r}."
        )
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be a whole number from 0 to {MAX_SEED:,}, not {seed!r}.")
    if now.utcoffset() is None:
        raise ValueError("`now` has no time zone.")


def _housing(occupancy: int) -> _Housing:
    """Enough units of each kind for `occupancy` people."""
    housing = []
    for prefix, label, share in UNIT_KINDS:
        count = max(1, math.ceil(occupancy * share / PEOPLE_PER_UNIT))
        housing.append([(f"{prefix}-{n}", f"{label} {n}") for n in range(1, count + 1)])
    return housing


class _StayPlanner:
    def __init__(
        self,
        rng: random.Random,
        profile: _Profile,
        housing: tuple[_Housing, ...],
    ) -> None:
        self.rng = rng
        self.profile = profile
        self.unit_codes = [
            [[code for code, _ in units_of_kind] for units_of_kind in facility_housing]
            for facility_housing in housing
        ]

    def stays(self, *, in_custody: bool) -> list[_Stay]:
        """One person's stays, oldest first; the last is open if they are in custody now."""
        rng, profile = self.rng, self.profile
        if in_custody:
            held_for = int(rng.random() * self._stay_seconds(length_biased=True))
            start = -max(MIN_TIME_IN_CUSTODY_SECONDS, held_for)
            stays = [self._stay(start, None, IN_CUSTODY_ROUTE_WEIGHTS)]
            held_before = rng.random() < profile.rebooked
        else:
            end = -rng.randint(1, int(profile.release_window_days * SECONDS_PER_DAY))
            stays = [self._stay(end - self._stay_seconds(), end, RELEASED_ROUTE_WEIGHTS)]
            held_before = rng.random() < profile.held_again
        while held_before and len(stays) < MAX_BOOKINGS_PER_PERSON:
            gap = rng.expovariate(1 / profile.mean_days_between_stays)
            end = stays[-1][0] - SECONDS_PER_DAY - int(gap * SECONDS_PER_DAY)
            stays.append(self._stay(end - self._stay_seconds(), end, RELEASED_ROUTE_WEIGHTS))
            held_before = rng.random() < profile.held_again
        stays.reverse()
        return stays

    def _stay_seconds(self, *, length_biased: bool = False) -> int:
        profile = self.profile
        mu = profile.stay_mu
        if length_biased:
            # Someone in custody today is likelier to be on a long stay, which spans more
            # days; weighting a lognormal by its length shifts mu by sigma squared.
            mu += profile.stay_sigma**2
        while True:
            days = self.rng.lognormvariate(mu, profile.stay_sigma)
            if days <= profile.max_stay_days:
                return max(MIN_STAY_SECONDS, int(days * SECONDS_PER_DAY))

    def _stay(self, start: int, end: int | None, route_weights: tuple[float, ...]) -> _Stay:
        rng = self.rng
        route = rng.choices(ROUTES, weights=route_weights)[0]
        stop = 0 if end is None else end
        moves = max(self._move_count(stop - start), len(route) - 1)
        # Distinct seconds strictly inside the stay, so no placement is empty.
        move_times = sorted(rng.sample(range(start + 1, stop), moves))
        transfers = set(rng.sample(range(moves), len(route) - 1))
        leg = 0
        unit = self._unit(route[leg], leaving=None)
        placements = [(route[leg], unit, start)]
        for move, at in enumerate(move_times):
            if move in transfers:
                leg += 1
                unit = self._unit(route[leg], leaving=None)
            else:
                unit = self._unit(route[leg], leaving=unit)
            placements.append((route[leg], unit, at))
        return start, end, placements

    def _move_count(self, seconds: int) -> int:
        rate = 1 / (self.profile.days_between_moves * SECONDS_PER_DAY)
        count = 0
        elapsed = self.rng.expovariate(rate)
        while elapsed < seconds and count < MAX_MOVES_PER_STAY:
            count += 1
            elapsed += self.rng.expovariate(rate)
        return count

    def _unit(self, facility: int, *, leaving: str | None) -> str:
        while True:
            units_of_kind = self.rng.choices(
                self.unit_codes[facility], cum_weights=UNIT_CUM_WEIGHTS
            )[0]
            unit = self.rng.choice(units_of_kind)
            if unit != leaving:
                return unit


def _booking_numbers(
    stays: list[list[_Stay]], now: datetime, zone: zoneinfo.ZoneInfo
) -> dict[tuple[int, int], str]:
    """Number the stays in booking order within each local year, as a jail system does."""
    order = sorted(
        (stay[0], person, index)
        for person, person_stays in enumerate(stays)
        for index, stay in enumerate(person_stays)
    )
    numbers = {}
    last_in_year: dict[int, int] = {}
    for start, person, index in order:
        year = (now + timedelta(seconds=start)).astimezone(zone).year
        last_in_year[year] = last_in_year.get(year, 0) + 1
        numbers[person, index] = f"B{year}{last_in_year[year]:07d}"
    return numbers


def _booking(number: str, stay: _Stay, now: datetime, codes: tuple[str, ...]) -> BookingPlan:
    start, end, placements = stay
    ends = [placement_start for _, _, placement_start in placements[1:]] + [end]
    return BookingPlan(
        booking_number=number,
        booked_at=now + timedelta(seconds=start),
        released_at=None if end is None else now + timedelta(seconds=end),
        placements=tuple(
            PlacementPlan(
                facility_code=codes[facility],
                unit_code=unit,
                started_at=now + timedelta(seconds=placement_start),
                ended_at=None if placement_end is None else now + timedelta(seconds=placement_end),
            )
            for (facility, unit, placement_start), placement_end in zip(
                placements, ends, strict=True
            )
        ),
    )


def _person(
    rng: random.Random,
    profile: _Profile,
    now: datetime,
    resident_number: str,
    bookings: tuple[BookingPlan, ...],
) -> PersonPlan:
    first_booked_at = bookings[0].booked_at
    years_since_first_stay = (now - first_booked_at).days / 365.25
    # A long record started young; without this, decades of prison terms make centenarians.
    age_at_first_stay = min(
        rng.triangular(MIN_AGE_AT_FIRST_STAY, MAX_AGE_AT_FIRST_STAY, COMMON_AGE_AT_FIRST_STAY),
        max(MIN_AGE_AT_FIRST_STAY, OLDEST_AGE_NOW - years_since_first_stay),
    )
    language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
    return PersonPlan(
        resident_number=resident_number,
        given_name=rng.choice(GIVEN_NAMES),
        family_name=rng.choice(FAMILY_NAME_STARTS) + rng.choice(FAMILY_NAME_ENDS),
        date_of_birth=(first_booked_at - timedelta(days=365.25 * age_at_first_stay)).date(),
        sex=rng.choices(SEXES, weights=profile.sex_weights)[0],
        language=language,
        needs_interpreter=rng.random() < NEEDS_INTERPRETER.get(language, NEEDS_INTERPRETER_OTHER),
        reads_without_help=rng.random() >= READS_WITH_HELP,
        race_ethnicity=(
            rng.choices(RACE_ETHNICITIES, weights=RACE_ETHNICITY_WEIGHTS)[0]
            if rng.random() < RACE_ETHNICITY_RECORDED
            else ""
        ),
        bookings=bookings,
    )
