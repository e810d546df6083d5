"""Browser scenarios in real headless Chromium (Debian's ``chromium``, driven by Playwright)
against the production server (``ristra serve``) over a small synthetic school.

Sign in; import a file with errors and see them; fix it and import; see the dashboard change;
generate and download a report; a viewer cannot reach internal data; a coordinator sees only
their program. ``RISTRA_SCREENSHOTS=1`` writes screenshots of the main pages to
``docs/screenshots/``.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
SCRATCH_SHOTS = Path(tempfile.gettempdir()) / "ristra-browser-screenshots"
ADMIN_PASSWORD = "browser-admin-password-42"
OTHER_PASSWORD = "browser-person-password-42"

pytestmark = [pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ristra(env: dict[str, str], *args: str, stdin: str = "") -> None:
    subprocess.run([sys.executable, "-m", "ristra.cli.main", *args], env=env, input=stdin, text=True,
                   check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The server's address and the source files of its school."""
    from ristra.cli.data_commands import IMPORT_ORDER
    from ristra.services import imports
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import extract_starts, generate

    base = tmp_path_factory.mktemp("browser")
    sources = generate(base / "source", applications_per_cycle=600, cycles=3)
    ws = Workspace(Settings(data_dir=base / "data", user="setup"))
    starts = extract_starts()
    for name in IMPORT_ORDER:
        assert imports.import_file(ws, name, sources[name], extract_start=starts.get(name)).imported
    env = {**os.environ, "RISTRA_DATA_DIR": str(base / "data"), "RISTRA_SECRET_KEY": secrets.token_urlsafe(60),
           "RISTRA_HTTPS": "false", "RISTRA_ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("RISTRA_DATABASE_URL", None)
    _ristra(env, "createuser", "ada", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "ristra.cli.main", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {server.stderr.read() if server.stderr else ''}") from None
                time.sleep(0.2)
        yield url, base / "source"
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: object, url: str, name: str, password: str) -> object:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/login/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    return page


def _dashboard(page: object, url: str) -> str:
    """Open the dashboard and wait until its publication is ready (the page says it is being
    prepared and refreshes itself until then); the panels' text."""
    page.goto(f"{url}/dashboard/")  # type: ignore[attr-defined]
    page.locator("#panel-path").wait_for(timeout=300_000)  # type: ignore[attr-defined]
    return str(page.locator("#panels").inner_text())  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    """Screenshots go to ``docs/screenshots/`` when ``RISTRA_SCREENSHOTS=1`` (to refresh the
    documentation), else to a scratch directory (the run still proves each page renders)."""
    target = SHOTS if os.environ.get("RISTRA_SCREENSHOTS") == "1" else SCRATCH_SHOTS
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _make_person(admin: object, url: str, name: str, role: str, programs: str = "") -> None:
    admin.goto(f"{url}/users/")  # type: ignore[attr-defined]
    admin.get_by_label("User name").fill(name)  # type: ignore[attr-defined]
    admin.get_by_label("Role").select_option(role)  # type: ignore[attr-defined]
    admin.get_by_label("Programs (program coordinators only; ids separated by commas)").fill(programs)  # type: ignore[attr-defined]
    admin.get_by_label("Password (at least 12 characters; leave empty for single sign-on only)").fill(OTHER_PASSWORD)  # type: ignore[attr-defined]
    admin.get_by_role("button", name="Make account").click()  # type: ignore[attr-defined]
    admin.get_by_text(f"User {name} created").wait_for()  # type: ignore[attr-defined]


def test_sign_in_refuses_a_wrong_password(site: tuple[str, Path], browser: object) -> None:
    url, _ = site
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/dashboard/")
    assert "/login/" in page.url
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Your user name and password did not match")
    _shot(page, "login")
    page.close()


def test_import_with_errors_then_fixed_and_the_dashboard_changes(site: tuple[str, Path], browser: object,
                                                                tmp_path: Path) -> None:
    url, sources = site
    page = _page(browser, url, "ada", ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1300, "height": 900})
    before = _dashboard(page, url)
    _shot(page, "dashboard")
    # what a first-time user sees at 1300 px: category labels, tables inside their panels, the
    # path starting from the state population
    options = page.locator("#f-category option").all_inner_texts()
    assert "Women" in options
    assert "urm_nm" not in options
    assert "women" not in options
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    for table in page.locator("#panels table").all():
        assert page.evaluate("(t) => t.closest('section, #panels').getBoundingClientRect().right >= "
                             "t.closest('.table-scroll').getBoundingClientRect().right - 1", table.element_handle())
    assert page.locator("#panels table").first.locator("tbody th").first.inner_text().startswith("State population")

    lines = (sources / "applications.csv").read_text().splitlines(keepends=True)
    fixed_rows = lines[: len(lines) - 60]  # the corrected export: 60 withdrawn applications left out
    broken = tmp_path / "applications.csv"
    broken.write_text(fixed_rows[0] + fixed_rows[1].replace(",MD,", ",MD,maybe-", 1).replace(",yes,", ",perhaps,", 1)
                      + "".join(fixed_rows[2:]))
    page.goto(f"{url}/imports/")
    page.get_by_label("Dataset").select_option("applications")
    page.get_by_label("File").set_input_files(str(broken))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("problem(s) found").wait_for()
    report = page.get_by_role("table").inner_text()
    assert "unknown_code" in report
    assert "2\t" in report
    assert page.get_by_role("button", name="Import").count() == 0
    _shot(page, "import-errors")

    fixed = tmp_path / "fixed" / "applications.csv"
    fixed.parent.mkdir()
    fixed.write_text("".join(fixed_rows))
    page.goto(f"{url}/imports/")
    page.get_by_label("Dataset").select_option("applications")
    page.get_by_label("File").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("button", name=f"Import {len(fixed_rows) - 1} rows as a new applications snapshot").click()
    page.get_by_text("New snapshot:").wait_for()
    snapshot = page.locator("#job-state code").inner_text()
    _shot(page, "import-done")

    after = _dashboard(page, url)
    assert snapshot in after
    assert snapshot not in before
    path_before = before.split("The path", 1)[1].split("Admissions funnel", 1)[0]
    path_after = after.split("The path", 1)[1].split("Admissions funnel", 1)[0]
    assert path_before != path_after, "the figures did not change with the new snapshot"

    page.goto(f"{url}/snapshots/")
    assert page.get_by_role("button", name="Roll back to").count() >= 1
    _shot(page, "snapshots")
    page.goto(f"{url}/audit/")
    with page.expect_response(lambda response: "/audit/?" in response.url):
        page.get_by_label("What").select_option("import")
    page.wait_for_function("() => !document.querySelector('#audit-rows').textContent.includes('internal_view')")
    assert page.locator("#audit-rows").get_by_text(snapshot).count() == 1
    _shot(page, "audit-log")
    page.close()


def test_categories_preview(site: tuple[str, Path], browser: object) -> None:
    url, _ = site
    page = _page(browser, url, "ada", ADMIN_PASSWORD)
    page.goto(f"{url}/categories/")
    _shot(page, "categories")
    page.goto(f"{url}/categories/edit/")
    text = page.get_by_label("Definitions").input_value()
    page.get_by_label("Definitions").fill(text.replace("label: Women", "label: Women and girls", 1))
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("changed women: label").wait_for()
    _shot(page, "categories-preview")
    page.close()


def test_generate_and_download_a_report(site: tuple[str, Path], browser: object) -> None:

    url, _ = site
    page = _page(browser, url, "ada", ADMIN_PASSWORD)
    page.goto(f"{url}/reports/")
    page.get_by_label("Format").select_option("html")
    page.get_by_role("button", name="Generate report").click()
    page.get_by_text("is ready").wait_for(timeout=180_000)  # the report waits for its publication
    _shot(page, "reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    assert download.value.path().stat().st_size > 0
    page.close()


def test_a_viewer_cannot_reach_internal_data(site: tuple[str, Path], browser: object) -> None:
    url, _ = site
    admin = _page(browser, url, "ada", ADMIN_PASSWORD)
    _make_person(admin, url, "vera", "viewer")
    _shot(admin, "users")
    admin.close()
    page = _page(browser, url, "vera", OTHER_PASSWORD)
    nav = page.get_by_role("navigation", name="Main").inner_text()
    assert "Dashboard" in nav
    assert "Import" not in nav
    assert "Audit log" not in nav
    assert "Public figures (threshold 11)" in _dashboard(page, url)
    for internal in ("/imports/", "/snapshots/", "/programs/PP01/", "/audit/", "/categories/edit/"):
        response = page.goto(f"{url}{internal}")
        assert response is not None, internal
        assert response.status == 403, internal
        assert page.get_by_role("heading", name="Not allowed").count() == 1
    response = page.goto(f"{url}/api/programs")
    assert response is not None
    assert response.status == 403
    page.close()


def test_a_coordinator_sees_only_their_program(site: tuple[str, Path], browser: object) -> None:
    url, _ = site
    admin = _page(browser, url, "ada", ADMIN_PASSWORD)
    _make_person(admin, url, "cora", "coordinator", "PP01")
    admin.close()
    page = _page(browser, url, "cora", OTHER_PASSWORD)
    page.goto(f"{url}/programs/")
    table = page.get_by_role("table").inner_text()
    assert "PP01" in table
    assert "PP02" not in table
    page.get_by_role("link", name="Health Careers Academy").click()
    page.get_by_role("heading", name="Participants", exact=True).wait_for()
    assert page.get_by_role("img").first.get_attribute("alt", timeout=5000).startswith("Chart:")  # type: ignore[union-attr]
    _shot(page, "program")
    response = page.goto(f"{url}/programs/PP02/")
    assert response is not None
    assert response.status == 404
    response = page.goto(f"{url}/dashboard/")
    assert response is not None
    assert response.status == 403
    page.close()


def test_keyboard_reaches_the_content_and_every_control_is_labelled(site: tuple[str, Path], browser: object) -> None:
    url, _ = site
    page = _page(browser, url, "ada", ADMIN_PASSWORD)
    for address in ("/imports/", "/categories/edit/", "/audit/", "/users/", "/dashboard/"):
        page.goto(f"{url}{address}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
        assert unlabelled == [], f"{address}: controls without a label: {unlabelled}"
    page.close()


def test_a_planner_adds_the_plan_and_sees_its_scorecard(site: tuple[str, Path], browser: object) -> None:
    from ristra.stores.plans import demo_plan_text

    url, _ = site
    admin = _page(browser, url, "ada", ADMIN_PASSWORD)
    _make_person(admin, url, "pia", "planner")
    admin.close()
    page = _page(browser, url, "pia", OTHER_PASSWORD)
    assert "Plan" in page.get_by_role("navigation", name="Main").inner_text()  # type: ignore[attr-defined]
    page.goto(f"{url}/plans/")  # type: ignore[attr-defined]
    page.get_by_label("… or the document as text").fill(demo_plan_text())  # type: ignore[attr-defined]
    page.get_by_label("Reason for the change (recorded with the new version)").fill("the demo plan")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save as version 1").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{url}/plans/som-dei-2030/", timeout=300_000)  # type: ignore[attr-defined]
    page.get_by_role("link", name="Scorecard").click()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 300
    while page.locator("#scorecard").count() == 0 and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(2)  # the publication with the plan is being protected
        page.reload()  # type: ignore[attr-defined]
    rows = page.locator("tr.scorecard-row")  # type: ignore[attr-defined]
    assert rows.count() == 9  # the demo plan's measures
    assert "Withheld" in page.locator("#scorecard").inner_text()  # type: ignore[attr-defined]
    _shot(page, "plan-scorecard")
    page.get_by_role("link", name="M-URM-INTERVIEW").click()  # type: ignore[attr-defined]
    assert page.locator("#measure-status").count() == 1  # type: ignore[attr-defined]
    page.close()
