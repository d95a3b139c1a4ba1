from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.forms import StaffUserForm
from kiteline.accounts.models import Role
from kiteline.accounts.selectors import staff_in_scope, staff_member
from kiteline.accounts.services import (
    AccountError,
    create_staff_user,
    deactivate_user,
    reactivate_user,
)


@staff(Role.SUPERVISOR)
def users(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = StaffUserForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = create_staff_user(
                actor=actor,
                username=data["username"],
                role=data["role"],
                facilities=data["facilities"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Created %(username)s.") % {"username": user.username})
            return redirect("staff-users")
    return render(request, "accounts/users.html", {"form": form, "users": staff_in_scope(actor)})


@staff(Role.SUPERVISOR)
@require_POST
def set_user_active(request: HttpRequest, user_id: int, active: bool) -> HttpResponse:
    actor = acting_user(request)
    user = staff_member(actor=actor, user_id=user_id)
    change = reactivate_user if active else deactivate_user
    try:
        change(actor=actor, user=user)
    except AccountError as error:
        messages.error(request, str(error))
    else:
        done = _("Reactivated %(username)s.") if active else _("Deactivated %(username)s.")
        messages.success(request, done % {"username": user.username})
    return redirect("staff-users")
