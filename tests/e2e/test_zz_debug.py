from tests.e2e.test_review_layout import seed, VIEWPORT, f
from tests.e2e.conftest import login

def test_debug(live_app, browser):
    app = live_app(seed)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.on("console", lambda m: print("CONSOLE", m.text[:200]))
    login(page, app.url, "senior", f.PASSWORD)
    page.get_by_role("link", name="复核", exact=True).click()
    for i in range(10):
        page.wait_for_timeout(1000)
        print(i, page.evaluate("() => [!!document.querySelector('[data-testid^=stStatusWidgetRunning]'), document.querySelectorAll('[data-stale=true]').length, document.querySelectorAll('iframe').length]"))
    page.screenshot(path="/tmp/dbg.png")
    print(page.locator('[data-testid=stException]').all_inner_texts())
    context.close()
