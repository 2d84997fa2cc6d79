"""kmlab Studio end to end, in real headless Chromium (Debian's chromium, driven by Playwright).

A Studio server runs in a thread of the test process; one browser page goes
through the tutorial: the fit stepped and run to convergence, a step back, the
elbow at K=4, a K picked on the chart, a click to predict, a CSV upload and the
code editor.  Screenshots of the main states are saved under test-artifacts/;
with KMLAB_UPDATE_DOCS=1 the predict state also replaces docs/studio.png (the
README's picture), which a plain test run leaves as committed.
"""

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/setup.sh installs it with apt-get)"
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 60_000  # a busy 2-core machine: first fits load numba's kernels, the code run imports kmlab


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from kmlab.serve import bind
    from kmlab.studio.server import create_app

    sock = bind("127.0.0.1", 0)
    app = create_app(port=sock.getsockname()[1], code_timeout=120)  # imports alone take seconds on a busy machine
    studio = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=studio.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not studio.started:
        if not thread.is_alive():
            pytest.fail("the Studio server did not start")
        threading.Event().wait(0.05)
    yield app
    studio.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(server.state.url)
    page.wait_for_selector('body[data-state="ready"][data-phase="init"]')
    yield page
    context.close()
    assert errors == [], errors


def shot(page, name, **options):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"studio-{name}.png"), **options)


def body(page, name):
    return page.evaluate(f"document.body.dataset.{name}")


def click_data_point(page, element_id, x, y):
    """Click the plot ``element_id`` where its axes put the data point (x, y)."""
    position = page.evaluate(
        """([id, x, y]) => {
            const el = document.getElementById(id), layout = el._fullLayout, box = el.getBoundingClientRect();
            return [box.left + layout.xaxis._offset + layout.xaxis.c2p(x),
                    box.top + layout.yaxis._offset + layout.yaxis.c2p(y)];
        }""",
        [element_id, x, y],
    )
    page.mouse.click(*position)


def test_tutorial_in_the_browser(page):
    # The four blobs, the initial centres: every point still grey.
    assert body(page, "points") == "300" and body(page, "clusters") == "0"
    shot(page, "1-initial-centres")
    page.click("#step")  # the first half-step: assignment
    page.wait_for_selector('body[data-phase="assign"][data-clusters="4"]')
    page.click("#converge")
    frames = int(body(page, "frames"))
    page.wait_for_selector(f'body[data-frame="{frames - 1}"][data-converged="true"]')
    assert body(page, "clusters") == "4"
    page.click("#step-back")
    page.wait_for_selector(f'body[data-frame="{frames - 2}"]')
    assert "Iteration" in page.inner_text("#status")

    # Choosing K: the elbow and the silhouette both point at 4.
    page.wait_for_selector('body[data-elbow="4"][data-best-k="4"]')
    assert "elbow at k=4" in page.inner_text("#verdict")
    page.wait_for_selector("#knife[data-mean]")
    page.click("#voronoi")
    page.click("#converge")
    shot(page, "2-converged")

    # Predict by click: a new point at a data point joins that point's cluster.
    page.click("#predict-mode")
    x, y, label = page.evaluate("[...state.dataset.points[0], frameLabels(lastFrame())[0]]")
    click_data_point(page, "scatter", x, y)
    page.wait_for_selector("#predict-result[data-label]")
    assert page.get_attribute("#predict-result", "data-label") == str(label)
    assert page.locator("#predict-result li").count() == 4
    shot(page, "3-predict")
    if os.environ.get("KMLAB_UPDATE_DOCS") == "1":
        page.screenshot(path=str(ROOT / "docs" / "studio.png"))

    # Clicking K=3 on the elbow chart sets K and refits.
    page.click("#predict-mode")
    model = body(page, "model")
    click_data_point(page, "elbow", 3, page.evaluate("state.selection.inertia[2]"))
    page.wait_for_function("(old) => document.body.dataset.model !== old && document.body.dataset.state === 'ready'",
                           arg=model)  # fmt: skip
    assert page.input_value("#k") == "3"
    page.click("#converge")
    page.wait_for_selector('body[data-clusters="3"]')


def test_upload_a_csv(page):
    rows = ["city,income,age,visits"] + [
        f"c{i},{20_000 + 1_000 * (i % 5) + 37 * i},{20 + (i * 7) % 50},{(i * 13) % 9}" for i in range(120)
    ]
    dataset = body(page, "dataset")
    upload = {"name": "customers.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}
    page.set_input_files("#upload", files=[upload])
    page.wait_for_function("(old) => document.body.dataset.dataset !== old && document.body.dataset.frames > 0",
                           arg=dataset)  # fmt: skip
    assert body(page, "points") == "120"
    assert page.locator("#columns input").count() == 3
    assert page.is_checked("#standardize")  # income and visits have very different scales
    assert "PC1" in page.inner_text("#scatter")
    page.wait_for_selector("body[data-elbow]")
    shot(page, "4-upload", full_page=True)


def test_code_editor_runs_the_tutorial(page):
    page.focus("#code")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('#code-output[data-state="done"]', timeout=3 * TIMEOUT_MS)
    assert page.get_attribute("#code-output", "data-returncode") == "0", page.inner_text("#code-stderr")
    assert "predicted clusters:" in page.inner_text("#code-stdout")
    assert page.get_attribute("#code-output", "data-figures") == "1"
    page.locator("#code-figures img").first.scroll_into_view_if_needed()
    shot(page, "5-code", full_page=True)


def test_api_calls_without_the_token_are_refused(server, browser):
    home = server.state.url.split("?")[0]
    context = browser.new_context()
    try:
        page = context.new_page()
        stranger = page.goto(home)  # never had the token
        assert stranger.status == 403 and "token" in stranger.text()
        assert context.request.get(home + "api/info").status == 403
        page.goto(server.state.url)  # the token URL: now the cookie is set ...
        assert page.evaluate("fetch('/api/info').then((response) => response.status)") == 200
        # ... and a request without it is still refused.
        assert page.evaluate("fetch('/api/info', {credentials: 'omit'}).then((response) => response.status)") == 403
    finally:
        context.close()
