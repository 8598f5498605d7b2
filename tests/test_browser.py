"""What a person sees: real Chromium runs of registration, sign-in, language switch and layout."""

import pytest

from lms.accounts.models import User

pytestmark = pytest.mark.browser


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def assert_fits_a_small_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def test_a_visitor_registers_and_lands_signed_in(page, make, app):
    organization = make.organization(name="Association Tanmia")
    page.goto("/register")
    assert serious_violations(page) == []
    assert_fits_a_small_phone(page)

    page.get_by_label("Adresse e-mail").fill("amina@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("une phrase de passe solide")
    page.get_by_label("Répétez le mot de passe").fill("une phrase de passe solide")
    page.get_by_label("Nom complet").fill("Amina Berrada")
    page.locator("#full_name_ar").fill("أمينة برادة")
    page.locator("#gender").select_option("female")
    page.locator("#profession").fill("Assistante sociale")
    page.locator("#city").fill("Rabat")
    page.locator("#region").select_option("MA-04")
    page.locator("#locale").select_option("fr")
    page.locator("#organization").select_option(str(organization.id))
    page.locator("#consent").check()
    page.get_by_role("button", name="Créer mon compte").click()

    page.wait_for_url("**/")
    assert "Amina Berrada" in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    with app.app_context():
        from sqlalchemy import select

        from lms.extensions import db

        user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
        assert user.full_name_ar == "أمينة برادة"
        assert user.organization_id == organization.id
        assert user.consent_at is not None


def test_registration_errors_are_shown_next_to_the_fields(page):
    page.goto("/register")
    page.get_by_label("Adresse e-mail").fill("not-an-address")
    page.get_by_role("button", name="Créer mon compte").click()
    assert page.locator(".error-summary").is_visible()
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    error_id = email.get_attribute("aria-describedby").split()[-1]
    assert page.locator(f"#{error_id}").inner_text().strip() != ""
    assert serious_violations(page) == []


def test_a_learner_signs_in_and_out(page, make):
    user = make.user(email="karim@example.org", full_name="Karim Alaoui")
    page.goto("/login")
    assert serious_violations(page) == []
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill("a long enough passphrase")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    assert "Karim Alaoui" in page.content()
    page.get_by_role("button", name="Se déconnecter").click()
    assert page.locator(".site-header").get_by_role("link", name="Se connecter").is_visible()


def test_switching_to_arabic_lays_the_page_out_right_to_left(page):
    page.goto("/login")
    page.get_by_role("button", name="العربية").click()
    page.wait_for_load_state()
    html = page.locator("html")
    assert html.get_attribute("lang") == "ar"
    assert html.get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "تسجيل الدخول"
    # The brand sits at the inline start, which is the right-hand side in Arabic.
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] + brand["width"] > 360 / 2
    label = page.locator("label[for=email]").bounding_box()
    field = page.locator("#email").bounding_box()
    assert label["x"] + label["width"] == pytest.approx(field["x"] + field["width"], abs=2)
    assert serious_violations(page) == []
    assert_fits_a_small_phone(page)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"


def test_home_page_is_accessible_in_every_language(page):
    for language in ("Français", "العربية", "English"):
        page.goto("/")
        page.get_by_role("button", name=language).click()
        page.wait_for_load_state()
        assert serious_violations(page) == [], language
        assert_fits_a_small_phone(page)


def test_keyboard_users_can_skip_to_the_content(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_pages_run_no_inline_script(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/register")
    assert page.evaluate("document.scripts.length") == 0
    assert errors == []
