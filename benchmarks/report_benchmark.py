"""Reports: the compliance dashboard's figures over five years of a state system on PostgreSQL.

scripts/with-postgres .venv/bin/python -m benchmarks.report_benchmark [--scale 1.0]
    [--try-index "kites_kite (received_at)"]...

Target (issue 9, "Benchmark"): the public and compliance reports over five years of a
150,000-person system (about 18 million kites) in at most 30 s, beside the same aggregates
as plain SQL. Needs PostgreSQL (DATABASE_URL); `--scale 0.01` is a quick try.

The data is generated here, deterministically, straight into the project's own tables with
set-based SQL (INSERT ... SELECT over generate_series; every draw is `hashint8extended` of a
row's key, so the same scale gives the same rows). Twenty facilities in one time zone, six
jails and fourteen prisons of fifteen units each; every bed is always occupied, by stays one
after another: a jail stay lasts hours to a year (mean about 56 days) and every second stay
in a jail bed is someone's return; a prison stay lasts six months to five years, and stays
over 60 days move to another unit half way. Each stay's kites arrive at two a month; each
has a triage clock (most met within 24 h, some late, a few never), about half a
face-to-face clock, the urgent and emergent ones their own; a kite still waiting when its
stay ends is closed on release (closing stops its clocks); breaches are written for every
clock met late or overdue. Every stay has its E-05 screening; about a quarter have an
evaluation or a medication check, each done evaluation a service decision, some not-eligible
decisions an appeal, and every done referral monthly required contacts with published
appointments and their outcomes. Rows are stored in the order they would have arrived.
While loading, the loaded tables' foreign keys, unique constraints and secondary indexes are
dropped, then re-created from their own definitions (which checks every row against them)
and compared with what migrate made; NOT NULL and check constraints stay in force
throughout.

Each figure of `kiteline.reports.figures.SHARED_FIGURES` is timed for all facilities, by
month and by housing unit, for the last quarter (2026Q3) and a year (2025), and by facility
for the quarter's public report; beside each, the same table as one plain SQL statement with
FILTER clauses (by unit, a join to the placements instead of a subquery per record), whose
counts are compared with the figure's. The public report is then built whole, as
`kiteline report public` builds it, and its parts timed. EXPLAIN (ANALYZE) of the slowest
figure of each grouping shows what bounds it. `--try-index` then creates an index in the
scratch database and times it all again: a way to try one before proposing a migration.
"""

import argparse
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from benchmarks.harness import Figure, report, scratch_database

if TYPE_CHECKING:
    # Imported once Django is set up; these names are for the annotations only.
    from django.db.backends.utils import CursorWrapper

    from kiteline.facilities.models import Facility
    from kiteline.reports.figures import CountTable, Scope
    from kiteline.reports.periods import Period

ZONE = "America/Chicago"
LOCAL = ZoneInfo(ZONE)
# Five years, from local midnight to local midnight: the reports' periods end at NOW.
START = datetime(2021, 10, 1, 5, tzinfo=UTC)
NOW = datetime(2026, 10, 1, 5, tzinfo=UTC)
FULL_POPULATION = 150_000
JAILS, PRISONS, UNITS = 6, 14, 15
JAIL_SHARE = 0.3
KITES_PER_PERSON_MONTH = 2
SERVICES = ("individual_therapy", "group_therapy", "psychiatry")
TARGET = "<= 30 s"

# ---- Generation ------------------------------------------------------------------------------

# A uniform draw in [0, 1) from a row's key and a salt, one salt for each draw. Inlined by the
# planner (an immutable one-line SQL function), so it costs one hash call.
DRAW = """
CREATE FUNCTION pg_temp.u(key bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8extended(key, salt) & 4294967295)::float8 / 4294967296 $$
"""

# Every bed (slot) holds one stay after another from before START until NOW; the first
# stay began a random part of its length before START.
STAYS = """
CREATE TEMP TABLE bench_stay AS
WITH slot AS (
    SELECT s, s <= %(jail_slots)s AS jail,
           CASE WHEN s <= %(jail_slots)s THEN 1 + mod(s, %(jails)s)
                ELSE 1 + %(jails)s + mod(s, %(prisons)s) END AS facility_no
    FROM generate_series(1, %(slots)s) AS s
), stay AS (
    SELECT slot.*, k, s::bigint * 1000 + k AS key,
           CASE WHEN NOT jail THEN 180 + 1800 * pg_temp.u(s::bigint * 1000 + k, 1)
                WHEN pg_temp.u(s::bigint * 1000 + k, 2) < 0.4
                    THEN 0.2 + 4.8 * pg_temp.u(s::bigint * 1000 + k, 1)
                WHEN pg_temp.u(s::bigint * 1000 + k, 2) < 0.8
                    THEN 5 + 55 * pg_temp.u(s::bigint * 1000 + k, 1)
                ELSE 60 + 305 * pg_temp.u(s::bigint * 1000 + k, 1) END AS days
    FROM slot CROSS JOIN LATERAL generate_series(0, CASE WHEN jail THEN 149 ELSE 11 END) AS k
), placed AS (
    SELECT *, sum(days) OVER w - days - pg_temp.u(s, 3) * first_value(days) OVER w AS start_day
    FROM stay WINDOW w AS (PARTITION BY s ORDER BY k)
)
SELECT s, k, key, jail, facility_no, days,
       %(start)s + start_day * interval '1 day' AS booked_at,
       %(start)s + (start_day + days) * interval '1 day' AS ends_at
FROM placed WHERE %(start)s + start_day * interval '1 day' < %(now)s
"""

# Ids are given here so that the same scale gives the same rows, in the order of arrival (a
# person's id by their first booking). A jail's person returns for the stay after next in
# the same bed (k and k + 2), so no one is held twice at once.
BOOKINGS = """
CREATE TEMP TABLE bench_booking AS
SELECT row_number() OVER (ORDER BY booked_at, key) AS id,
       dense_rank() OVER (ORDER BY first_booked_at, s, person_no) AS person_id,
       t.*, f.facility_id, u1.unit_id, CASE WHEN moved_at IS NOT NULL THEN u2.unit_id END
           AS second_unit_id,
       greatest(booked_at, %(start)s) AS lo, least(coalesce(released_at, %(now)s), %(now)s) AS hi
FROM (
    SELECT *,
           min(booked_at) OVER (PARTITION BY s, person_no) AS first_booked_at,
           CASE WHEN ends_at < %(now)s THEN ends_at - interval '2 hours' END AS released_at,
           CASE WHEN days > 60 AND booked_at + days / 2 * interval '1 day' < %(now)s
                THEN booked_at + days / 2 * interval '1 day' END AS moved_at,
           1 + floor(pg_temp.u(key, 4) * %(units)s)::int AS unit_no,
           floor(pg_temp.u(key, 5) * (%(units)s - 1))::int AS unit_shift
    FROM (
        SELECT *, CASE WHEN jail THEN k / 4 * 2 + mod(k, 2) ELSE k END AS person_no
        FROM bench_stay
    ) AS p
) AS t
JOIN bench_facility AS f USING (facility_no)
JOIN bench_unit AS u1 ON (u1.facility_no, u1.unit_no) = (t.facility_no, t.unit_no)
JOIN bench_unit AS u2 ON (u2.facility_no, u2.unit_no)
    = (t.facility_no, 1 + mod(t.unit_no + t.unit_shift, %(units)s))
"""

PEOPLE = """
INSERT INTO facilities_person (id, resident_number, given_name, family_name, date_of_birth,
    sex, language, needs_interpreter, reads_without_help, race_ethnicity)
SELECT id, 'R' || lpad(id::text, 8, '0'),
       (ARRAY['Alder', 'Ash', 'Birch', 'Cedar', 'Elm', 'Hazel', 'Juniper', 'Maple', 'Rowan',
              'Willow'])[1 + floor(pg_temp.u(id, 30) * 10)::int],
       (ARRAY['Demo', 'Example', 'Sample', 'Synth', 'Test'])[1 + floor(pg_temp.u(id, 31) * 5)::int]
           || (ARRAY['brook', 'field', 'ford', 'ley', 'stone', 'wood'])
              [1 + floor(pg_temp.u(id, 32) * 6)::int],
       date '1951-01-01' + floor(pg_temp.u(id, 33) * 57 * 365)::int,
       CASE WHEN pg_temp.u(id, 34) < 0.86 THEN 'M' WHEN pg_temp.u(id, 34) < 0.99 THEN 'F'
            WHEN pg_temp.u(id, 34) < 0.995 THEN 'X' ELSE 'U' END,
       language, language NOT IN ('en', 'es') OR pg_temp.u(id, 36) < 0.05,
       pg_temp.u(id, 37) < 0.8,
       CASE WHEN pg_temp.u(id, 38) < 0.1 THEN ''
            ELSE (ARRAY['White', 'Black', 'Hispanic', 'Asian', 'American Indian', 'Other'])
                 [1 + floor(pg_temp.u(id, 39) * 6)::int] END
FROM (
    SELECT person_id AS id,
           CASE WHEN pg_temp.u(person_id, 35) < 0.8 THEN 'en'
                WHEN pg_temp.u(person_id, 35) < 0.97 THEN 'es'
                ELSE (ARRAY['vi', 'zh', 'ar', 'ht', 'ru'])
                     [1 + floor(pg_temp.u(person_id, 40) * 5)::int] END AS language
    FROM bench_booking GROUP BY person_id
) AS p
"""

BOOKING_ROWS = """
INSERT INTO facilities_booking (id, person_id, booking_number, facility_id, booked_at,
    released_at)
SELECT id, person_id, 'B' || lpad(id::text, 9, '0'), facility_id, booked_at, released_at
FROM bench_booking
"""

PLACEMENTS = """
INSERT INTO facilities_placement (booking_id, housing_unit_id, started_at, ended_at)
SELECT id, unit_id, booked_at, coalesce(moved_at, released_at) FROM bench_booking
UNION ALL
SELECT id, second_unit_id, moved_at, released_at FROM bench_booking WHERE moved_at IS NOT NULL
ORDER BY 3, 1
"""

# Each stay's kites spread evenly over its time in custody within the five years, each a
# little off its slot; a kite's draws are keyed by its stay and its number in the stay. A
# kite still waiting for triage or for its visit when the stay ends is closed on release.
KITES = """
INSERT INTO kites_kite (person_id, booking_id, facility_id, channel, topic, text, received_at,
    entered_at, backdate_reason, idempotency_key, urgency, status, triaged_at,
    symptom_described, route, route_reason, seen_at, contact_place, contact_note,
    contact_late_reason, outcome, closed_at, close_code)
WITH drawn AS (
    SELECT b.person_id, b.id AS booking_id, b.facility_id, b.id * 1000 + j AS key,
           least(b.released_at, %(now)s) AS ends,
           b.lo + (j - 1 + pg_temp.u(b.id * 1000 + j, 10)) * (b.hi - b.lo) / b.kites
               AS received_at
    FROM (
        SELECT *, floor(extract(epoch FROM hi - lo) / 86400 * %(kites_per_day)s
                        + pg_temp.u(key, 6))::int AS kites
        FROM bench_booking WHERE hi > lo
    ) AS b
    CROSS JOIN LATERAL generate_series(1, b.kites) AS j
    OFFSET 0
), described AS (
    SELECT *,
           CASE WHEN pg_temp.u(key, 11) < 0.6 THEN 'kiosk'
                WHEN pg_temp.u(key, 11) < 0.85 THEN 'paper'
                WHEN pg_temp.u(key, 11) < 0.93 THEN 'voice'
                WHEN pg_temp.u(key, 11) < 0.95 THEN 'family'
                WHEN pg_temp.u(key, 11) < 0.99 THEN 'staff_referral'
                WHEN pg_temp.u(key, 11) < 0.995 THEN 'court_order' ELSE 'screening' END AS channel,
           CASE WHEN pg_temp.u(key, 12) < 0.35 THEN 'talk'
                WHEN pg_temp.u(key, 12) < 0.6 THEN 'therapy'
                WHEN pg_temp.u(key, 12) < 0.85 THEN 'medication'
                WHEN pg_temp.u(key, 12) < 0.88 THEN 'crisis' ELSE 'other' END AS topic,
           -- Hours from receipt to triage: most within 24, some late, a few never.
           CASE WHEN pg_temp.u(key, 13) < 0.92 THEN 0.25 + 23.5 * pg_temp.u(key, 14)
                WHEN pg_temp.u(key, 13) < 0.997 THEN 24.5 + 72 * pg_temp.u(key, 14) END
               AS triage_hours,
           -- Hours from receipt to the face-to-face contact, when a symptom is described.
           CASE WHEN pg_temp.u(key, 15) < 0.86 THEN 2 + 44 * pg_temp.u(key, 16)
                WHEN pg_temp.u(key, 15) < 0.99 THEN 49 + 120 * pg_temp.u(key, 16) END
               AS seen_hours
    FROM drawn OFFSET 0
), entered AS (
    SELECT *,
           received_at + CASE WHEN channel IN ('paper', 'voice', 'family')
                              THEN (0.1 + 3 * pg_temp.u(key, 17)) * interval '1 hour'
                              ELSE interval '0' END AS entered_at,
           -- A crisis is answered in minutes, not hours.
           CASE WHEN topic = 'crisis' THEN 1.0 / 30 ELSE 1 END AS pace
    FROM described OFFSET 0
), triaged AS (
    SELECT *,
           CASE WHEN triage_hours IS NOT NULL
                 AND greatest(entered_at + interval '5 minutes',
                              received_at + triage_hours * pace * interval '1 hour') <= ends
                THEN greatest(entered_at + interval '5 minutes',
                              received_at + triage_hours * pace * interval '1 hour') END
               AS triaged_at
    FROM entered OFFSET 0
), seen AS (
    SELECT *,
           CASE WHEN triaged_at IS NOT NULL
                THEN topic = 'crisis' OR pg_temp.u(key, 18) < 0.48 END AS symptom
    FROM triaged OFFSET 0
), contacted AS (
    SELECT *,
           CASE WHEN symptom AND seen_hours IS NOT NULL
                 AND greatest(triaged_at + interval '30 minutes',
                              received_at + seen_hours * pace * interval '1 hour') <= ends
                THEN greatest(triaged_at + interval '30 minutes',
                              received_at + seen_hours * pace * interval '1 hour') END AS seen_at
    FROM seen OFFSET 0
), answered AS (
    -- When the kite is closed in the ordinary way, if the stay lasts that long.
    SELECT *,
           CASE WHEN symptom THEN seen_at + (1 + 3 * pg_temp.u(key, 19)) * interval '1 day'
                WHEN NOT symptom
                    THEN triaged_at + (0.5 + 2 * pg_temp.u(key, 19)) * interval '1 day' END
               AS answered_at
    FROM contacted OFFSET 0
), closed AS (
    SELECT *,
           CASE WHEN answered_at <= ends THEN answered_at
                WHEN ends < %(now)s THEN ends END AS closed_at,
           coalesce(answered_at > ends, true) AND ends < %(now)s AS on_release,
           CASE WHEN pg_temp.u(key, 20) < 0.6 THEN 'answered_in_writing'
                WHEN pg_temp.u(key, 20) < 0.8 THEN 'routed_elsewhere'
                WHEN pg_temp.u(key, 20) < 0.9 THEN 'duplicate'
                WHEN pg_temp.u(key, 20) < 0.97 THEN 'withdrawn' ELSE 'released' END AS close_code,
           CASE WHEN pg_temp.u(key, 21) < 0.6 THEN 'resolved'
                WHEN pg_temp.u(key, 21) < 0.75 THEN 'referred_evaluation'
                WHEN pg_temp.u(key, 21) < 0.85 THEN 'referred_decision'
                WHEN pg_temp.u(key, 21) < 0.95 THEN 'referred_medical' ELSE 'refused' END
               AS outcome
    FROM answered OFFSET 0
)
SELECT person_id, booking_id, facility_id, channel, topic,
       CASE topic WHEN 'talk' THEN 'I would like to talk to someone about how I am feeling.'
                  WHEN 'therapy' THEN 'Can I see the counselor one on one, please?'
                  WHEN 'medication' THEN 'My medication is not working and I cannot sleep.'
                  WHEN 'crisis' THEN 'I cannot go on like this.'
                  ELSE 'Please call me to the health unit.' END,
       received_at, entered_at, '', '',
       CASE WHEN triaged_at IS NULL THEN '' WHEN topic = 'crisis' THEN 'emergent'
            WHEN pg_temp.u(key, 22) < 0.08 THEN 'urgent' ELSE 'routine' END,
       CASE WHEN closed_at IS NOT NULL THEN 'closed' WHEN seen_at IS NOT NULL THEN 'seen'
            WHEN triaged_at IS NOT NULL THEN 'triaged' ELSE 'received' END,
       triaged_at, symptom,
       CASE WHEN triaged_at IS NULL THEN ''
            WHEN NOT symptom AND close_code = 'routed_elsewhere' THEN 'medical'
            ELSE 'mental_health' END,
       '', seen_at, CASE WHEN seen_at IS NULL THEN '' ELSE 'health_unit' END, '', '',
       CASE WHEN closed_at IS NOT NULL AND NOT on_release AND symptom THEN outcome ELSE '' END,
       closed_at,
       CASE WHEN on_release THEN 'released'
            WHEN closed_at IS NOT NULL AND NOT symptom THEN close_code ELSE '' END
FROM closed
ORDER BY received_at, key
"""

# Clocks from the kites' own times: triage is met at triage, the face-to-face visit when the
# resident is seen (72 h when the window takes in a weekend), the urgent and emergent tiers
# by the first response; closing a kite stops the clocks still running.
CLOCKS = """
INSERT INTO kites_clock (kite_id, kind, due_at, met_at)
SELECT id, 'triage', received_at + interval '24 hours', coalesce(triaged_at, closed_at)
FROM kites_kite
UNION ALL
SELECT id, 'face_to_face',
       received_at + CASE WHEN extract(isodow FROM received_at AT TIME ZONE %(zone)s) >= 4
                          THEN interval '72 hours' ELSE interval '48 hours' END,
       coalesce(seen_at, closed_at)
FROM kites_kite WHERE symptom_described
UNION ALL
SELECT id, 'urgent', received_at + interval '24 hours', coalesce(triaged_at, closed_at)
FROM kites_kite WHERE urgency = 'urgent'
UNION ALL
SELECT id, 'emergent', received_at + interval '60 minutes', coalesce(triaged_at, closed_at)
FROM kites_kite WHERE urgency = 'emergent'
ORDER BY 1, 2
"""

BREACHES = """
INSERT INTO kites_breach (clock_id, facility_id, breached_at, recorded_at)
SELECT c.id, k.facility_id, c.due_at, c.due_at + interval '1 minute'
FROM kites_clock AS c JOIN kites_kite AS k ON k.id = c.kite_id
WHERE c.met_at > c.due_at OR (c.met_at IS NULL AND c.due_at < %(now)s)
ORDER BY c.due_at, c.id
"""

# Every stay's E-05 screening, due by the end of the fourteenth local day (booking day is
# day one); and for about a quarter of stays a referral: an evaluation (emergent, urgent or
# routine) after a positive receiving screen, or a medication-continuity check. A stay
# released before one was done closes it.
EVALUATIONS = """
INSERT INTO screening_evaluation (booking_id, person_id, facility_id, kind, urgency, reason,
    discretion_reason, safety, opened_at, due_at, done_at, done_note, closed_at)
SELECT booking_id, person_id, facility_id, kind, urgency, reason, '', urgency = 'emergent',
       opened_at, due_at,
       CASE WHEN done <= coalesce(released_at, %(now)s) AND done <= %(now)s THEN done END, '',
       CASE WHEN released_at < coalesce(done, 'infinity') THEN released_at END
FROM (
    SELECT id AS booking_id, person_id, facility_id, released_at, 'screening' AS kind,
           '' AS urgency, 'booking' AS reason, booked_at AS opened_at,
           ((booked_at AT TIME ZONE %(zone)s)::date + 14)::timestamp AT TIME ZONE %(zone)s
               AS due_at,
           booked_at + CASE WHEN pg_temp.u(key, 50) < 0.9 THEN 0.5 + 12.5 * pg_temp.u(key, 51)
                            WHEN pg_temp.u(key, 50) < 0.985 THEN 14 + 30 * pg_temp.u(key, 51)
                       END * interval '1 day' AS done
    FROM bench_booking
    UNION ALL
    SELECT id, person_id, facility_id, released_at, kind, urgency,
           CASE kind WHEN 'evaluation' THEN 'receiving_screen' ELSE 'current_medication' END,
           opened_at, due_at,
           opened_at + (due_at - opened_at)
               * CASE WHEN pg_temp.u(key, 54) < 0.85 THEN 0.95 * pg_temp.u(key, 55)
                      WHEN pg_temp.u(key, 54) < 0.97 THEN 1 + 1.5 * pg_temp.u(key, 55) END
    FROM (
        SELECT *, opened_at + CASE urgency WHEN 'emergent' THEN interval '4 hours'
                                           WHEN 'urgent' THEN interval '2 days'
                                           ELSE interval '14 days' END AS due_at
        FROM (
            SELECT *, booked_at + interval '3 hours' AS opened_at,
                   CASE WHEN pg_temp.u(key, 52) < 0.18 THEN 'evaluation'
                        ELSE 'medication_check' END AS kind,
                   CASE WHEN pg_temp.u(key, 52) >= 0.18 THEN 'urgent'
                        WHEN pg_temp.u(key, 53) < 0.1 THEN 'emergent'
                        WHEN pg_temp.u(key, 53) < 0.35 THEN 'urgent' ELSE 'routine' END
                       AS urgency
            FROM bench_booking WHERE pg_temp.u(key, 52) < 0.24
        ) AS r
        WHERE opened_at <= coalesce(released_at, %(now)s) AND opened_at < %(now)s
    ) AS d
) AS e
ORDER BY opened_at, booking_id, kind
"""

EVALUATION_BREACHES = """
INSERT INTO screening_evaluationbreach (evaluation_id, facility_id, breached_at, recorded_at)
SELECT id, facility_id, due_at, due_at + interval '1 minute' FROM screening_evaluation
WHERE done_at > due_at OR (done_at IS NULL AND coalesce(closed_at, %(now)s) > due_at)
ORDER BY due_at, id
"""

# Each evaluation done proposes one service; the clinician confirms, or overrides one
# proposal in twelve, with a standard reason.
DECISIONS = """
INSERT INTO care_decision (person_id, booking_id, facility_id, service_id, policy_version_id,
    facts, record, proposed, source, evaluation_id, requested_by_id, requested_at, outcome,
    decided_by_id, decided_at, override_reason, override_text, appeal_by)
SELECT person_id, booking_id, facility_id, service_id, policy_version_id, '{}', '{}',
       proposed, 'evaluation', id, clinician_id, done_at,
       CASE WHEN decided_at IS NULL THEN ''
            WHEN overridden THEN CASE proposed WHEN 'eligible' THEN 'not_eligible'
                                               ELSE 'eligible' END
            WHEN proposed <> 'clinician_review' THEN proposed
            WHEN pg_temp.u(id, 63) < 0.6 THEN 'eligible' ELSE 'not_eligible' END,
       CASE WHEN decided_at IS NOT NULL THEN clinician_id END, decided_at,
       CASE WHEN decided_at IS NULL OR NOT overridden THEN ''
            ELSE (ARRAY['clinical_judgement', 'new_information', 'safety', 'capacity', 'other'])
                 [1 + floor(pg_temp.u(id, 64) * 5)::int] END,
       CASE WHEN decided_at IS NOT NULL AND overridden THEN 'Seen in person; see the note.'
            ELSE '' END,
       decided_at + interval '30 days'
FROM (
    SELECT e.*, f.clinician_id, s.service_id, s.policy_version_id,
           CASE WHEN pg_temp.u(e.id, 61) < 0.45 THEN 'eligible'
                WHEN pg_temp.u(e.id, 61) < 0.8 THEN 'not_eligible' ELSE 'clinician_review' END
               AS proposed,
           pg_temp.u(e.id, 62) < 1.0 / 12 AS overridden,
           CASE WHEN e.done_at + (0.5 + 4 * pg_temp.u(e.id, 65)) * interval '1 day' <= %(now)s
                THEN e.done_at + (0.5 + 4 * pg_temp.u(e.id, 65)) * interval '1 day' END
               AS decided_at
    FROM screening_evaluation AS e
    JOIN bench_facility AS f USING (facility_id)
    JOIN bench_service AS s
        ON s.facility_id = e.facility_id
       AND s.service_no = CASE WHEN pg_temp.u(e.id, 60) < 0.5 THEN 1
                               WHEN pg_temp.u(e.id, 60) < 0.8 THEN 2 ELSE 3 END
    WHERE e.kind = 'evaluation' AND e.done_at IS NOT NULL
) AS d
ORDER BY done_at, id
"""

# Three in ten not-eligible decisions are appealed to the other clinician, who answers
# most within the fourteen days.
APPEALS = """
INSERT INTO care_appeal (decision_id, person_id, facility_id, text, filed_by_id, filed_at,
    late_reason, due_at, outcome, reason, decided_by_id, decided_at, breached_at)
SELECT id, person_id, facility_id, 'I ask for this decision to be looked at again.',
       nurse_id, filed_at, '', filed_at + interval '14 days',
       CASE WHEN answered_at IS NULL THEN ''
            WHEN pg_temp.u(id, 72) < 0.75 THEN 'upheld' ELSE 'overturned' END,
       CASE WHEN answered_at IS NULL THEN '' ELSE 'Reviewed against the published policy.' END,
       CASE WHEN answered_at IS NOT NULL THEN reviewer_id END, answered_at,
       CASE WHEN coalesce(answered_at, %(now)s) > filed_at + interval '14 days'
            THEN filed_at + interval '14 days' END
FROM (
    SELECT *, CASE WHEN filed_at + (1 + 16 * pg_temp.u(id, 71)) * interval '1 day' <= %(now)s
                   THEN filed_at + (1 + 16 * pg_temp.u(id, 71)) * interval '1 day' END
                  AS answered_at
    FROM (
        SELECT d.*, f.nurse_id, f.reviewer_id,
               d.decided_at + (1 + 20 * pg_temp.u(d.id, 70)) * interval '1 day' AS filed_at
        FROM care_decision AS d JOIN bench_facility AS f USING (facility_id)
        WHERE d.outcome = 'not_eligible' AND pg_temp.u(d.id, 69) < 0.3
    ) AS a
    WHERE filed_at <= %(now)s
) AS b
ORDER BY filed_at, id
"""

RUNS = """
INSERT INTO scheduling_schedulerun (facility_id, start, days, method, solve_status, report,
    seconds, status, created_by_id, created_at, published_by_id, published_at)
SELECT facility_id, start, 14, 'cp-sat', 'optimal', '{}', 1.0, 'published', supervisor_id,
       (start - 3)::timestamp AT TIME ZONE %(zone)s, supervisor_id,
       (start - 2)::timestamp AT TIME ZONE %(zone)s
FROM bench_facility
CROSS JOIN LATERAL generate_series(0, (%(today)s - %(first_day)s) / 14 + 1) AS n
CROSS JOIN LATERAL (SELECT %(first_day)s + 14 * n AS start) AS s
"""

# Monthly required contacts for every referral done, from then until release (or two weeks
# past NOW, the published horizon): nineteen in twenty get an appointment in their window.
CONTACTS = """
CREATE TEMP TABLE bench_contact AS
SELECT *,
       CASE WHEN appointed AND day < %(today)s THEN
            CASE WHEN pg_temp.u(id, 82) < 0.8 THEN 'attended'
                 WHEN pg_temp.u(id, 82) < 0.88 THEN 'refused'
                 WHEN pg_temp.u(id, 82) < 0.95 THEN 'cancelled_custody'
                 ELSE 'cancelled_clinician' END
            ELSE '' END AS outcome
FROM (
    SELECT *, pg_temp.u(id, 80) < 0.95
              AND day < coalesce((released_at AT TIME ZONE %(zone)s)::date, %(today)s + 14)
                  AS appointed
    FROM (
        SELECT row_number() OVER (ORDER BY e.start + 30 * n, e.id) AS id, e.facility_id,
               e.booking_id, e.person_id, e.released_at, e.start + 30 * n AS earliest,
               e.start + 30 * n + 29 AS due,
               e.start + 30 * n + floor(pg_temp.u(e.id * 1000 + n, 81) * 26)::int AS day
        FROM (
            SELECT e.id, e.facility_id, e.booking_id, e.person_id, b.released_at,
                   greatest((e.done_at AT TIME ZONE %(zone)s)::date, %(first_day)s) AS start,
                   least(coalesce((b.released_at AT TIME ZONE %(zone)s)::date, %(today)s),
                         %(today)s) AS stop
            FROM screening_evaluation AS e JOIN facilities_booking AS b ON b.id = e.booking_id
            WHERE e.kind <> 'screening' AND e.done_at IS NOT NULL
        ) AS e
        CROSS JOIN LATERAL generate_series(0, (e.stop - e.start - 1) / 30) AS n
        WHERE e.stop > e.start
    ) AS c
) AS a
"""

REQUIREMENTS = """
INSERT INTO scheduling_requirement (id, facility_id, booking_id, person_id, source, key,
    session_type_id, earliest, due, acuity, mandatory, waiting_since, opened_at, closed_at,
    close_reason)
SELECT c.id, c.facility_id, booking_id, person_id, 'level', 'level:clinician',
       f.session_type_id, earliest, due, 2, true, earliest,
       earliest::timestamp AT TIME ZONE %(zone)s,
       CASE WHEN outcome = 'attended' THEN (day + time '10:30') AT TIME ZONE %(zone)s
            WHEN released_at IS NOT NULL AND (released_at AT TIME ZONE %(zone)s)::date <= due
                THEN released_at
            WHEN due < %(today)s THEN (due + 1)::timestamp AT TIME ZONE %(zone)s END,
       CASE WHEN outcome = 'attended' THEN 'met'
            WHEN released_at IS NOT NULL AND (released_at AT TIME ZONE %(zone)s)::date <= due
                THEN 'released'
            WHEN due < %(today)s THEN 'no_longer_required' ELSE '' END
FROM bench_contact AS c JOIN bench_facility AS f USING (facility_id)
ORDER BY c.id
"""

APPOINTMENTS = """
INSERT INTO scheduling_appointment (run_id, facility_id, requirement_id, person_id,
    session_type_id, clinician_id, room_id, date, start_minute, minutes, "group", status,
    outcome, custody_reason, outcome_note, outcome_at)
SELECT r.id, c.facility_id, c.id, c.person_id, f.session_type_id, f.clinician_id, f.room_id,
       c.day, 540 + 30 * floor(pg_temp.u(c.id, 83) * 14)::int, 30, '', 'published', c.outcome,
       CASE WHEN c.outcome = 'cancelled_custody'
            THEN (ARRAY['lockdown', 'movement', 'staffing'])
                 [1 + floor(pg_temp.u(c.id, 84) * 3)::int]
            ELSE '' END,
       '', CASE WHEN c.outcome <> '' THEN (c.day + time '10:30') AT TIME ZONE %(zone)s END
FROM bench_contact AS c
JOIN bench_facility AS f USING (facility_id)
JOIN scheduling_schedulerun AS r
    ON r.facility_id = c.facility_id AND r.start = %(first_day)s + (c.day - %(first_day)s) / 14 * 14
WHERE c.appointed
ORDER BY c.day, c.id
"""

# The tables loaded in bulk, whose keys and secondary indexes are built after the load.
LOADED = (
    "facilities_person",
    "facilities_booking",
    "facilities_placement",
    "kites_kite",
    "kites_clock",
    "kites_breach",
    "screening_evaluation",
    "screening_evaluationbreach",
    "care_decision",
    "care_appeal",
    "scheduling_schedulerun",
    "scheduling_requirement",
    "scheduling_appointment",
)
# Explicit ids were given: the next id the application takes follows them.
GIVEN_IDS = ("facilities_person", "facilities_booking", "scheduling_requirement")

STEPS: tuple[tuple[str, str], ...] = (
    ("stays", STAYS),
    ("bookings (staged)", BOOKINGS),
    ("people", PEOPLE),
    ("bookings", BOOKING_ROWS),
    ("placements", PLACEMENTS),
    ("kites", KITES),
    ("clocks", CLOCKS),
    ("breaches", BREACHES),
    ("E-05 screenings and evaluations", EVALUATIONS),
    ("evaluation breaches", EVALUATION_BREACHES),
    ("decisions", DECISIONS),
    ("appeals", APPEALS),
    ("schedule runs", RUNS),
    ("required contacts (staged)", CONTACTS),
    ("requirements", REQUIREMENTS),
    ("appointments", APPOINTMENTS),
)


@dataclass(frozen=True)
class Generated:
    seconds: float
    rows: dict[str, int]
    facilities: tuple["Facility", ...]


def _step(label: str, seconds: float) -> None:
    print(f"  {label:<44} {seconds:8.1f} s", flush=True)


def _timed(cursor: "CursorWrapper", label: str, sql: str, params: Mapping[str, Any]) -> None:
    started = time.perf_counter()
    cursor.execute(sql, params)
    _step(label, time.perf_counter() - started)


def reference_rows() -> dict[int, dict[str, Any]]:
    """The facilities and what every record of one points at (units, staff, services and
    their published policies, a room and a session type), by facility number 1 to 20."""
    from django.utils import timezone

    from kiteline.accounts.models import Role, User
    from kiteline.care.models import PolicyVersion, Service
    from kiteline.facilities.models import Facility, FacilityKind, HousingUnit
    from kiteline.scheduling.models import Room, SessionType

    now = timezone.now()
    supervisor = User(username="bench-supervisor", role=Role.SUPERVISOR)
    supervisor.set_unusable_password()
    supervisor.save()
    found: dict[int, dict[str, Any]] = {}
    for number in range(1, JAILS + PRISONS + 1):
        kind = FacilityKind.JAIL if number <= JAILS else FacilityKind.PRISON
        facility = Facility.objects.create(
            code=f"{kind}-{number:02d}",
            name=f"{kind.label} {number:02d}",
            kind=kind,
            time_zone=ZONE,
        )
        units = HousingUnit.objects.bulk_create(
            HousingUnit(facility=facility, code=chr(ord("A") + n), name=f"{chr(ord('A') + n)} Pod")
            for n in range(UNITS)
        )
        staff = {}
        for role, name in (
            (Role.NURSE, "nurse"),
            (Role.CLINICIAN, "clinician"),
            (Role.CLINICIAN, "reviewer"),
        ):
            user = User(username=f"{facility.code}-{name}", role=role)
            user.set_unusable_password()
            user.save()
            staff[name] = user
        services = [
            Service.objects.create(facility=facility, code=code, name_en=code, name_es=code)
            for code in SERVICES
        ]
        policies = [
            PolicyVersion.objects.create(
                service=service, version=1, body={}, published_by=supervisor, published_at=now
            )
            for service in services
        ]
        room = Room.objects.create(facility=facility, code="room-1", name="Health unit, room 1")
        session_type = SessionType.objects.create(
            facility=facility,
            code="contact",
            name="Required contact",
            kind="individual",
            minutes=30,
        )
        found[number] = {
            "facility": facility,
            "units": [unit.pk for unit in units],
            "staff": staff,
            "services": list(zip((s.pk for s in services), (p.pk for p in policies), strict=True)),
            "room": room.pk,
            "session_type": session_type.pk,
            "supervisor": supervisor.pk,
        }
    return found


def _stage_references(cursor: "CursorWrapper", found: Mapping[int, Mapping[str, Any]]) -> None:
    cursor.execute(
        "CREATE TEMP TABLE bench_facility (facility_no int, facility_id bigint, nurse_id bigint,"
        " clinician_id bigint, reviewer_id bigint, supervisor_id bigint, room_id bigint,"
        " session_type_id bigint)"
    )
    cursor.execute("CREATE TEMP TABLE bench_unit (facility_no int, unit_no int, unit_id bigint)")
    cursor.execute(
        "CREATE TEMP TABLE bench_service (facility_id bigint, service_no int, service_id bigint,"
        " policy_version_id bigint)"
    )
    for number, refs in found.items():
        staff = refs["staff"]
        facility_id = refs["facility"].pk
        cursor.execute(
            "INSERT INTO bench_facility VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                number,
                facility_id,
                staff["nurse"].pk,
                staff["clinician"].pk,
                staff["reviewer"].pk,
                refs["supervisor"],
                refs["room"],
                refs["session_type"],
            ],
        )
        cursor.executemany(
            "INSERT INTO bench_unit VALUES (%s, %s, %s)",
            [(number, n, unit) for n, unit in enumerate(refs["units"], start=1)],
        )
        cursor.executemany(
            "INSERT INTO bench_service VALUES (%s, %s, %s, %s)",
            [
                (facility_id, n, service, policy)
                for n, (service, policy) in enumerate(refs["services"], start=1)
            ],
        )


# Foreign keys and unique constraints of the loaded tables (not their primary keys), as
# statements that drop and re-create each; then their other indexes, the same way.
KEYS = """
SELECT contype, format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname,
              pg_get_constraintdef(oid))
FROM pg_constraint
WHERE conrelid = ANY(%(tables)s::regclass[]) AND contype IN ('f', 'u')
ORDER BY conrelid::regclass::text, conname
"""
INDEXES = """
SELECT 'i', format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT EXISTS (
    SELECT 1 FROM pg_constraint AS c
    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
)
ORDER BY i.indexrelid::regclass::text
"""


@dataclass(frozen=True)
class Schema:
    keys: tuple[tuple[str, str, str], ...]  # (kind, drop, create)
    indexes: tuple[tuple[str, str, str], ...]

    @classmethod
    def read(cls, cursor: "CursorWrapper") -> "Schema":
        tables = {"tables": list(LOADED)}
        cursor.execute(KEYS, tables)
        keys = tuple(cursor.fetchall())
        cursor.execute(INDEXES, tables)
        return cls(keys, tuple(cursor.fetchall()))

    def drop(self, cursor: "CursorWrapper") -> None:
        foreign_first = sorted(self.keys, key=lambda key: key[0] != "f")
        for _, drop, _ in (*foreign_first, *self.indexes):
            cursor.execute(drop)

    def create(self, cursor: "CursorWrapper") -> None:
        """Indexes and unique constraints first, foreign keys last: each ADD CONSTRAINT checks
        every row, once, with a join."""
        for _, _, create in self.indexes:
            cursor.execute(create)
        for _, _, create in sorted(self.keys, key=lambda key: key[0] == "f"):
            cursor.execute(create)


def count_rows(cursor: "CursorWrapper") -> dict[str, int]:
    rows = {}
    for table in LOADED:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 -- our own table names
        rows[table] = cursor.fetchone()[0]
    return rows


def generate(scale: float) -> Generated:
    from django.db import connection

    slots = max(JAILS + PRISONS, round(FULL_POPULATION * scale))
    print(f"Generating five years of a {slots:,}-person system (scale {scale})", flush=True)
    started = time.perf_counter()
    found = reference_rows()
    params = {
        "slots": slots,
        "jail_slots": round(slots * JAIL_SHARE),
        "jails": JAILS,
        "prisons": PRISONS,
        "units": UNITS,
        "start": START,
        "now": NOW,
        "zone": ZONE,
        "first_day": START.astimezone(LOCAL).date(),
        "today": NOW.astimezone(LOCAL).date(),
        "kites_per_day": KITES_PER_PERSON_MONTH * 12 / 365.25,
    }
    with connection.cursor() as cursor:
        # Memory for the load's sorts, hashes and index builds; reset before any timing.
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(DRAW)
        _stage_references(cursor, found)
        schema = Schema.read(cursor)
        schema.drop(cursor)
        for label, sql in STEPS:
            _timed(cursor, label, sql, params)
        for table in GIVEN_IDS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608 -- our own table names
            )
        step = time.perf_counter()
        schema.create(cursor)
        _step("keys, unique constraints and indexes", time.perf_counter() - step)
        if Schema.read(cursor) != schema:
            raise RuntimeError("The re-created keys and indexes differ from what migrate made.")
        step = time.perf_counter()
        # Fresh statistics and visibility, as autovacuum keeps them on a live server.
        cursor.execute("VACUUM ANALYZE")
        _step("VACUUM ANALYZE", time.perf_counter() - step)
        cursor.execute("DROP TABLE bench_stay, bench_booking, bench_contact")
        seconds = time.perf_counter() - started
        rows = count_rows(cursor)
        cursor.execute("RESET ALL")
    return Generated(seconds, rows, tuple(refs["facility"] for refs in found.values()))


# ---- The same figures as plain SQL ----------------------------------------------------------

IN_SCOPE = (
    "{alias}.facility_id = ANY(%(facilities)s) AND {moment} >= %(start)s AND {moment} < %(end)s"
)
# A unit's label as the figures write it: its code, with its facility's code unless the
# report is of that one facility alone (`= ALL` of a one-element array is equality).
UNIT_LABEL = (
    "CASE WHEN h.facility_id = ALL(%(facilities)s) THEN h.code"
    " ELSE h.code || ' (' || hf.code || ')' END"
)


@dataclass(frozen=True)
class Plain:
    """A figure as one SQL statement: its tables, its conditions, the record's facility,
    stay and moment, and one FILTER per column of the figure's table. `dated`: the moment is
    a local date, counted in the unit the person is in now (as the figure does). By unit, a
    join to the placements replaces the figures' subquery per record."""

    tables: str
    where: str
    facility: str
    booking: str
    moment: str
    columns: tuple[tuple[str, str], ...]
    dated: bool = False

    def sql(self, by: str) -> str:
        group, join = self._group(by)
        counts = ", ".join(f"count(*) FILTER (WHERE {condition})" for _, condition in self.columns)
        return f"SELECT {group}, {counts} FROM {self.tables} {join} WHERE {self.where} GROUP BY 1"  # noqa: S608 -- built from this module's constants

    def _group(self, by: str) -> tuple[str, str]:
        from kiteline.reports.figures import ALL, BY_FACILITY, BY_MONTH, BY_UNIT

        if by == BY_MONTH:
            local = self.moment if self.dated else f"{self.moment} AT TIME ZONE %(zone)s"
            return f"to_char({local}, 'YYYY-MM')", ""
        if by == BY_UNIT:
            if self.dated:
                at = "p.ended_at IS NULL"
            else:
                at = (
                    f"p.started_at <= {self.moment}"
                    f" AND (p.ended_at IS NULL OR p.ended_at > {self.moment})"
                )
            return UNIT_LABEL, (
                f"LEFT JOIN facilities_placement AS p ON p.booking_id = {self.booking} AND {at} "
                "LEFT JOIN facilities_housingunit AS h ON h.id = p.housing_unit_id "
                "LEFT JOIN facilities_facility AS hf ON hf.id = h.facility_id"
            )
        if by == BY_FACILITY:
            # Grouped by id, named after: a name looked up per record would cost a join.
            return self.facility, ""
        return f"'{ALL}'", ""

    def count(self, scope: "Scope") -> dict[tuple[str, str], int]:
        from django.db import connection

        from kiteline.reports.figures import BY_FACILITY, NO_UNIT

        codes = dict(zip(scope.facility_ids, scope.facility_codes, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(self.sql(scope.by), _params(scope))
            found = cursor.fetchall()
        counts = {}
        for group, *values in found:
            row = codes[group] if scope.by == BY_FACILITY else group
            for (column, _), n in zip(self.columns, values, strict=True):
                if n:
                    counts[(NO_UNIT if row is None else row, column)] = n
        return counts


def _timeliness(
    done: str, due: str, closed: str, closed_label: str, when: str = "true", prefix: str = ""
) -> tuple[tuple[str, str], ...]:
    """A deadline's states, as the figures define them: done on time or late; closed without
    it by the deadline; not done and past the deadline (still open, or closed after it);
    open and not yet due."""
    from kiteline.reports.figures import LATE, NOT_YET_DUE, ON_TIME, OVERDUE

    return (
        (prefix + ON_TIME, f"{when} AND {done} <= {due}"),
        (prefix + LATE, f"{when} AND {done} > {due}"),
        (prefix + closed_label, f"{when} AND {done} IS NULL AND {closed} <= {due}"),
        (
            prefix + OVERDUE,
            f"{when} AND {done} IS NULL"
            f" AND ({closed} > {due} OR ({closed} IS NULL AND {due} < %(now)s))",
        ),
        (
            prefix + NOT_YET_DUE,
            f"{when} AND {done} IS NULL AND {closed} IS NULL AND {due} >= %(now)s",
        ),
    )


def plain_figures() -> dict[str, Plain]:
    """Each shared figure written by hand in SQL, by the figure function's name."""
    from kiteline.care.models import OverrideReason
    from kiteline.kites.models import Channel, CloseCode, Topic
    from kiteline.reports import figures

    def clocks(kind: str, done: str, closed_label: str) -> Plain:
        return Plain(
            "kites_clock AS c JOIN kites_kite AS k ON k.id = c.kite_id",
            f"c.kind = '{kind}' AND " + IN_SCOPE.format(alias="k", moment="k.received_at"),
            "k.facility_id",
            "k.booking_id",
            "k.received_at",
            _timeliness(done, "c.due_at", "k.closed_at", closed_label),
        )

    def choices(where: str, field: str, options: Sequence[tuple[str, Any]]) -> Plain:
        return Plain(
            "kites_kite AS k",
            where + IN_SCOPE.format(alias="k", moment="k.received_at"),
            "k.facility_id",
            "k.booking_id",
            "k.received_at",
            tuple((str(text), f"k.{field} = '{value}'") for value, text in options),
        )

    *named, last = figures.URGENCIES
    evaluation_columns: tuple[tuple[str, str], ...] = ()
    for urgency in figures.URGENCIES:
        evaluation_columns += _timeliness(
            "e.done_at",
            "e.due_at",
            "e.closed_at",
            figures.CLOSED_ON_RELEASE,
            when=(
                f"e.urgency NOT IN ({', '.join(repr(u) for u in named)})"
                if urgency == last
                else f"e.urgency = '{urgency}'"
            ),
            prefix=f"{urgency}: ",
        )
    overridden = "d.override_reason <> ''"
    # Appointments held, and requirements missed: due in the period and past, still open at
    # the end of their due day (opened by then, not closed before), never given a published
    # appointment on or before it.
    contacts = """(
        SELECT a.facility_id, r.booking_id, a.date AS day, a.outcome, false AS missed
        FROM scheduling_appointment AS a
        JOIN scheduling_requirement AS r ON r.id = a.requirement_id
        WHERE a.facility_id = ANY(%(facilities)s) AND a.status = 'published' AND r.mandatory
          AND a.date >= %(first)s AND a.date < %(last)s AND a.outcome <> ''
        UNION ALL
        SELECT r.facility_id, r.booking_id, r.due, '', true
        FROM scheduling_requirement AS r
        WHERE r.facility_id = ANY(%(facilities)s) AND r.mandatory
          AND r.due >= %(first)s AND r.due < %(last)s AND r.due < %(today)s
          AND (r.opened_at AT TIME ZONE %(zone)s)::date <= r.due
          AND (r.closed_at IS NULL OR (r.closed_at AT TIME ZONE %(zone)s)::date > r.due)
          AND NOT EXISTS (
              SELECT FROM scheduling_appointment AS a
              WHERE a.requirement_id = r.id AND a.status = 'published' AND a.date <= r.due
          )
    ) AS x"""
    return {
        "triage_timeliness": clocks("triage", "k.triaged_at", figures.CLOSED_UNTRIAGED),
        "face_to_face_timeliness": clocks("face_to_face", "k.seen_at", figures.CLOSED_UNSEEN),
        "e05_screening": Plain(
            "screening_evaluation AS e",
            "e.kind = 'screening' AND " + IN_SCOPE.format(alias="e", moment="e.opened_at"),
            "e.facility_id",
            "e.booking_id",
            "e.opened_at",
            _timeliness("e.done_at", "e.due_at", "e.closed_at", figures.RELEASED_FIRST),
        ),
        "evaluations_by_urgency": Plain(
            "screening_evaluation AS e",
            "e.kind IN ('evaluation', 'medication_check') AND "
            + IN_SCOPE.format(alias="e", moment="e.opened_at"),
            "e.facility_id",
            "e.booking_id",
            "e.opened_at",
            evaluation_columns,
        ),
        "kites_by_topic": choices("", "topic", Topic.choices),
        "kites_by_channel": choices("", "channel", Channel.choices),
        "closed_unseen": choices(
            "k.status = 'closed' AND k.seen_at IS NULL AND ", "close_code", CloseCode.choices
        ),
        "decisions_by_outcome": Plain(
            "care_decision AS d",
            IN_SCOPE.format(alias="d", moment="d.decided_at"),
            "d.facility_id",
            "d.booking_id",
            "d.decided_at",
            (
                ("eligible as proposed", f"d.outcome = 'eligible' AND NOT {overridden}"),
                ("eligible, overridden", f"d.outcome = 'eligible' AND {overridden}"),
                ("not eligible as proposed", f"d.outcome <> 'eligible' AND NOT {overridden}"),
                ("not eligible, overridden", f"d.outcome <> 'eligible' AND {overridden}"),
            ),
        ),
        "overrides_by_reason": Plain(
            "care_decision AS d",
            f"{overridden} AND " + IN_SCOPE.format(alias="d", moment="d.decided_at"),
            "d.facility_id",
            "d.booking_id",
            "d.decided_at",
            tuple(
                (str(text), f"d.override_reason = '{value}'")
                for value, text in OverrideReason.choices
            ),
        ),
        "appeals": Plain(
            "care_appeal AS a JOIN care_decision AS d ON d.id = a.decision_id",
            IN_SCOPE.format(alias="a", moment="a.filed_at"),
            "a.facility_id",
            "d.booking_id",
            "a.filed_at",
            (
                ("upheld", "a.outcome = 'upheld'"),
                ("overturned", "a.outcome = 'overturned'"),
                ("not decided yet", "a.outcome = ''"),
            ),
        ),
        "required_contacts": Plain(
            contacts,
            "true",
            "x.facility_id",
            "x.booking_id",
            "x.day",
            (
                ("attended", "x.outcome = 'attended'"),
                ("refused by the resident", "x.outcome = 'refused'"),
                ("cancelled by custody", "x.outcome = 'cancelled_custody'"),
                ("cancelled by the clinician", "x.outcome = 'cancelled_clinician'"),
                (figures.NEVER_SCHEDULED, "x.missed"),
            ),
            dated=True,
        ),
    }


# One statement over the whole five years, in the public report's shape (facility x
# quarter): the floor for reading every kite's triage clock once.
FIVE_YEARS = """
SELECT k.facility_id, to_char(k.received_at AT TIME ZONE %(zone)s, 'YYYY"Q"Q'),
       count(*) FILTER (WHERE k.triaged_at <= c.due_at),
       count(*) FILTER (WHERE k.triaged_at > c.due_at),
       count(*) FILTER (WHERE k.triaged_at IS NULL AND k.closed_at <= c.due_at),
       count(*) FILTER (WHERE k.triaged_at IS NULL
                          AND (k.closed_at > c.due_at
                               OR (k.closed_at IS NULL AND c.due_at < %(now)s))),
       count(*) FILTER (WHERE k.triaged_at IS NULL AND k.closed_at IS NULL
                          AND c.due_at >= %(now)s)
FROM kites_clock AS c JOIN kites_kite AS k ON k.id = c.kite_id
WHERE c.kind = 'triage'
GROUP BY 1, 2
"""


# ---- Timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    name: str
    by: str
    seconds: float
    plain_seconds: float
    differs: int  # cells whose counts differ from the plain SQL's
    statements: tuple[str, ...]  # the figure's SQL, as sent


def _scope(generated: Generated, period: "Period", by: str) -> "Scope":
    from kiteline.reports.figures import scope_for

    return scope_for(generated.facilities, period, by, NOW)


def _params(scope: "Scope") -> dict[str, Any]:
    first, last = scope.days
    return {
        "facilities": list(scope.facility_ids),
        "zone": scope.zone,
        "start": scope.start,
        "end": scope.end,
        "now": scope.now,
        "first": first,
        "last": last,
        "today": scope.today,
    }


def measure(figure: Callable[["Scope"], "CountTable"], plain: Plain, scope: "Scope") -> Measured:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        table = figure(scope)
        seconds = time.perf_counter() - started
    started = time.perf_counter()
    counts = plain.count(scope)
    plain_seconds = time.perf_counter() - started
    found = {cell: n for cell, n in table.counts.items() if n}
    differs = sum(found.get(cell) != counts.get(cell) for cell in {*found, *counts})
    return Measured(
        figure.__name__,
        scope.by,
        seconds,
        plain_seconds,
        differs,
        tuple(query["sql"] for query in queries.captured_queries),
    )


def figures_beside_plain(scope: "Scope") -> tuple[list[Measured], list[Figure]]:
    """Every shared figure in the scope, beside its plain SQL, and their sum."""
    from kiteline.reports.figures import SHARED_FIGURES

    plain = plain_figures()
    measured = [measure(figure, plain[figure.__name__], scope) for figure in SHARED_FIGURES]
    figures = [
        Figure(
            m.name + (f" ({m.differs} cells differ!)" if m.differs else ""),
            m.seconds * 1000,
            "ms",
            m.plain_seconds * 1000,
            "plain SQL",
        )
        for m in measured
    ]
    figures.append(
        Figure(
            "all figures",
            sum(m.seconds for m in measured) * 1000,
            "ms",
            sum(m.plain_seconds for m in measured) * 1000,
            "plain SQL",
            TARGET,
        )
    )
    return measured, figures


def dashboard(generated: Generated, period: "Period") -> list[Measured]:
    from kiteline.reports.figures import BY_MONTH, BY_UNIT

    measured = []
    for by in (BY_MONTH, BY_UNIT):
        rows, figures = figures_beside_plain(_scope(generated, period, by))
        measured += rows
        facilities = len(generated.facilities)
        report(f"Compliance dashboard, {period.label}, {facilities} facilities, by {by}", figures)
    return measured


def public_report(generated: Generated, period: "Period", *, build: bool) -> list[Measured]:
    """The public report of a quarter: its shared figures by facility beside their plain SQL,
    all its reads (the shared and equity figures' tables, and the waits); then, if `build`,
    the whole report as `kiteline report public` builds it (the same reads again, the
    suppression engine with its independent check, the files and the release's record)."""
    from kiteline.reports.errors import ReportError
    from kiteline.reports.figures import BY_FACILITY, waits
    from kiteline.reports.public import build_public_report, gather_release

    scope = _scope(generated, period, BY_FACILITY)
    measured, figures = figures_beside_plain(scope)
    report(
        f"Public report, {period.label}, {len(generated.facilities)} facilities "
        f"(its shared figures, by facility)",
        figures,
    )
    started = time.perf_counter()
    gather_release(generated.facilities, period, NOW)
    gathered = time.perf_counter() - started
    started = time.perf_counter()
    waits(scope)
    waited = time.perf_counter() - started
    parts = [
        Figure("reads: every table, by facility", gathered * 1000, "ms"),
        Figure("reads: waits (every request's moments)", waited * 1000, "ms"),
    ]
    if not build:
        report(f"Public report, {period.label}: its reads", parts)
        return measured
    print(f"\n  Building the public report of {period.label}...", flush=True)
    outcome = "built"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            build_public_report(
                actor=None,
                facilities=generated.facilities,
                period=period,
                out=Path(scratch) / "report",
                now=NOW,
            )
        except ReportError as error:  # a release that cannot be protected is refused
            outcome = f"refused: {error}"
    built = time.perf_counter() - started
    rest = built - gathered - waited
    report(
        f"Public report, {period.label}: the whole build and its parts",
        [
            Figure("build_public_report", built * 1000, "ms", target=TARGET),
            *parts,
            Figure("the rest: suppression, its check, files", rest * 1000, "ms"),
        ],
    )
    print(f"  build: {outcome}")
    return measured


def five_years() -> Figure:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FIVE_YEARS, {"zone": ZONE, "now": NOW})
        cursor.fetchall()
    return Figure(
        "plain SQL: triage by facility x quarter, 5 years",
        (time.perf_counter() - started) * 1000,
        "ms",
        target=TARGET,
    )


def explain(measured: Sequence[Measured]) -> None:
    """EXPLAIN (ANALYZE) of the slowest figure of each grouping: the plan nodes that did
    most of the work."""
    from django.db import connection

    for by in dict.fromkeys(m.by for m in measured):
        slowest = max((m for m in measured if m.by == by), key=lambda m: m.seconds)
        for sql in slowest.statements:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                (plan,) = cursor.fetchone()[0]
            print(f"\n  EXPLAIN ANALYZE {slowest.name} by {by}: {plan['Execution Time']:,.0f} ms")
            for line in _busiest(plan["Plan"]):
                print(f"    {line}")


def _nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _work(node: Mapping[str, Any]) -> float:
    """A node's time summed over its loops (and parallel workers), children included."""
    return float(node["Actual Total Time"]) * int(node["Actual Loops"])


NOTEWORTHY = ("Index Cond", "Hash Cond", "Filter", "Sort Method", "Sort Space Type", "Hash Batches")


def _busiest(root: Mapping[str, Any], top: int = 6) -> list[str]:
    """The plan's nodes by their own time, the busiest first, with what they did."""
    found = []
    for node in _nodes(root):
        # EXPLAIN rounds each loop's time to the microsecond: over many loops a node can seem
        # to take less than its children, so its own time reads at least 0.
        own = max(0.0, _work(node) - sum(_work(child) for child in node.get("Plans", [])))
        rows = int(node["Actual Rows"]) * int(node["Actual Loops"])
        what = " ".join(
            str(part)
            for part in (
                node["Node Type"],
                node.get("Index Name") or node.get("Relation Name") or "",
                f"({rows:,} rows in {node['Actual Loops']:,} loops)",
                node.get("Subplan Name", ""),
                *(f"{key}: {node[key]}" for key in NOTEWORTHY if key in node),
            )
            if part
        )
        found.append((own, f"{own:10,.0f} ms  {what[:160]}"))
    return [line for _, line in sorted(found, key=lambda pair: pair[0], reverse=True)[:top]]


AS_MIGRATED = "(as migrated)"


def run(generated: Generated, title: str) -> None:
    from kiteline.reports.periods import Period, quarter

    # Other work on the machine shows here: the timings are wall-clock.
    print(f"\nLoad average before timing {title}: {os.getloadavg()[0]:.1f}")
    last_quarter = quarter(2026, 3)
    measured = dashboard(generated, last_quarter)
    # Suppression and its check read no database: an index changes only the reads.
    measured += public_report(generated, last_quarter, build=title == AS_MIGRATED)
    # The quarter's plans: the year's have the same shape, with four times the rows.
    explain(measured)
    dashboard(generated, Period("2025", date(2025, 1, 1), date(2026, 1, 1)))
    report(f"One plain statement {title}", [five_years()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 150,000 people")
    parser.add_argument(
        "--try-index",
        action="append",
        default=[],
        metavar="TABLE (COLUMNS)",
        help="after the timings, create this index in the scratch database and time again",
    )
    args = parser.parse_args()
    with scratch_database() as vendor:
        if vendor != "postgresql":
            sys.exit(
                "This benchmark needs PostgreSQL: "
                "scripts/with-postgres .venv/bin/python -m benchmarks.report_benchmark"
            )
        # The code timed, loaded once before the long load: one version of it for the whole
        # run, while others may be editing it, and an import that fails fails at once.
        importlib.import_module("kiteline.reports.public")
        generated = generate(args.scale)
        print(f"\nGenerated in {generated.seconds:,.0f} s:")
        for table, n in generated.rows.items():
            print(f"  {table:<32} {n:>14,}")
        run(generated, AS_MIGRATED)
        if args.try_index:
            from django.db import connection

            with connection.cursor() as cursor:
                for index in args.try_index:
                    started = time.perf_counter()
                    cursor.execute(f"CREATE INDEX ON {index}")
                    _step(f"CREATE INDEX ON {index}", time.perf_counter() - started)
                cursor.execute("ANALYZE")
            run(generated, "with " + "; ".join(args.try_index))


if __name__ == "__main__":
    main()
