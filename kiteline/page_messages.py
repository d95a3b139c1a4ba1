"""How a staff page tells the user what a service did: its refusal in plain words, or that
it was done. Every action page posts, calls one service, and redirects back with these."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest


def attempt(
    request: HttpRequest,
    action: Callable[[], object],
    done: str = "",
    *,
    refusals: tuple[type[Exception], ...],
) -> bool:
    """Run a service; a refusal becomes the page's error message, success its `done`."""
    try:
        action()
    except refusals as error:
        messages.error(request, str(error))
        return False
    if done:
        messages.success(request, done)
    return True


def report_form_errors(request: HttpRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
