"""The roster, scoped like its pages: staff see the people ever housed at their facilities."""

from django.http import HttpRequest
from ninja import Router

from kiteline.accounts.authz import ALL_STAFF, acting_user
from kiteline.api.auth import roles
from kiteline.api.schemas import CustodyPersonOut, PersonOut, RosterPageOut, person_schema
from kiteline.facilities.selectors import RosterPage, person_record, roster_page

router = Router(tags=["roster"])


@router.get("/roster", response=RosterPageOut, auth=roles(*ALL_STAFF))
def roster(request: HttpRequest, q: str = "", released: bool = False, page: int = 1) -> RosterPage:
    """One page of the roster; `q` matches a resident or booking number, or part of a name."""
    return roster_page(
        actor=acting_user(request), query=q, include_released=released, page_number=page
    )


@router.get(
    "/people/{resident_number}",
    # Both, so that the OpenAPI shows what custody receives as well as what health staff do.
    response=PersonOut | CustodyPersonOut,
    auth=roles(*ALL_STAFF),
)
def person(request: HttpRequest, resident_number: str) -> CustodyPersonOut:
    """One person's roster record; 404 for a person never housed at the caller's facilities."""
    actor = acting_user(request)
    record = person_record(actor=actor, resident_number=resident_number)
    return person_schema(actor).model_validate(record)
