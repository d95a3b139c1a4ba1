"""The Kiteline API, under /api/v1/: one router per app, each operation naming its roles."""

from django.urls import URLPattern
from django.views.decorators.cache import never_cache
from ninja import NinjaAPI

from kiteline.accounts.authz import api as decided_by_the_api
from kiteline.api import care, kites, roster, scheduling, screening
from kiteline.api.auth import refuse, staff_only

api = NinjaAPI(
    title="Kiteline API",
    version="1",
    urls_namespace="api",
    # An operation that does not name its roles is refused to everyone.
    auth=refuse,
    docs_decorator=staff_only,
)
# Prefixed so that an operation's URL name never equals a page's ("roster", "person").
api.add_router("", roster.router, url_name_prefix="api")
api.add_router("", kites.router, url_name_prefix="api")
api.add_router("", screening.router, url_name_prefix="api")
api.add_router("", care.router, url_name_prefix="api")
api.add_router("", scheduling.router, url_name_prefix="api")


def urls_of(ninja_api: NinjaAPI) -> list[URLPattern]:
    """The API's URL patterns, each let through AccessMiddleware to the API's own auth."""
    patterns = []
    for pattern in ninja_api.urls[0]:
        if not isinstance(pattern, URLPattern):
            raise TypeError(f"{pattern!r} would escape the API's access rule.")
        # Responses name people: neither a browser nor a proxy may keep a copy.
        pattern.callback = decided_by_the_api(never_cache(pattern.callback))
        patterns.append(pattern)
    return patterns
