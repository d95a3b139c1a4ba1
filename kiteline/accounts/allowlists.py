"""The fields a custody officer may receive, record by record (invariant I6).

Custody gets operational safety information only. Every selector that serves custody
returns a record type whose fields are all listed here, and every API schema for custody
too; tests check both, so a field added to a custody record without being listed here
fails the suite. A field listed here is a decision: keep clinical content out.
"""

CUSTODY_ALLOWED_FIELDS: dict[str, frozenset[str]] = {
    "roster_row": frozenset(
        {
            "resident_number",
            "name",
            "date_of_birth",
            "language",
            "needs_interpreter",
            "booking_number",
            "facility",
            "housing_unit",
            "booked_at",
            "released_at",
            "in_custody",
        }
    ),
    "person": frozenset(
        {
            "resident_number",
            "name",
            "date_of_birth",
            "sex",
            "language",
            "needs_interpreter",
            "reads_without_help",
            "bookings",
        }
    ),
    "booking": frozenset(
        {"booking_number", "facility", "booked_at", "released_at", "in_custody", "placements"}
    ),
    "placement": frozenset({"facility", "housing_unit", "started_at", "ended_at"}),
    # "Welfare check now": who and where, and since when; never the kite that caused it.
    "welfare_check": frozenset(
        {"check_id", "resident_number", "name", "facility", "housing_unit", "asked_at"}
    ),
    # Who is on watch and how often to check them; never why.
    "watch": frozenset(
        {"resident_number", "name", "facility", "housing_unit", "level", "check_minutes"}
    ),
    # Who goes where and when, and whether an officer walks them: a place, never a service;
    # no clinician, session type or length (a length can tell psychiatry from therapy).
    "escort_row": frozenset(
        {"resident_number", "name", "housing_unit", "date", "time", "place", "needs_escort"}
    ),
    # When movement stops, where and why (lockdown, count...): custody record these too.
    "movement_restriction": frozenset({"restriction_id", "date", "unit", "start", "end", "kind"}),
}
