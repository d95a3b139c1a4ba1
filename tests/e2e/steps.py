"""Steps the browser tests share: signing staff in and making the browser a kiosk."""

from playwright.sync_api import Page

PASSWORD = "a-test-password"


def staff_sign_in(page: Page, url: str, username: str) -> None:
    """Open a staff page and sign in on the sign-in page it leads to."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def register_kiosk(page: Page, base_url: str, supervisor: str, facility: str) -> None:
    """A supervisor makes this browser a kiosk; it then shows the resident sign-in."""
    staff_sign_in(page, f"{base_url}/kiosk/register/", supervisor)
    page.get_by_label("Kiosk name").fill("A Pod dayroom")
    page.get_by_label("Facility").select_option(label=facility)
    page.get_by_role("button", name="Register").click()
