"""The checkout page in a real browser (SPEC section 11, docs/checkout.md):
headless Chromium drives manne-checkout in front of a real manne-ledger. A
card with the right PIN shows "Payé"; a wrong PIN shows the words and the
tries left; a locked card shows "Carte bloquée"; a payment request paid by
another client (manne pay --request) shows "Payé"; a refund appears in the
day's list; the same order number paid twice is charged once. A screenshot
of each state goes under the build folder. Also: a cross-site POST and a
POST without the token are refused, the CSP header is there and the page
raises no CSP violation while it works.

Exit 77 (skipped) with "skipped: no chromium" where Chromium, its driver or
python3-selenium is absent.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    CHROMIUM = None
if CHROMIUM is None or DRIVER is None:
    print("skipped: no chromium (Debian's chromium, chromium-driver and python3-selenium)")
    sys.exit(77)

CLI = os.environ["MANNE_CLI"]  # and MANNE_AUDIT for the monthly report's screenshot
SHOTS = os.environ["MANNE_SCREENSHOTS"]


def wait_port_file(path, proc, what):
    for _ in range(1000):
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read().split()[0])
        if proc.poll() is not None:
            raise SystemExit("%s exited at start-up" % what)
        time.sleep(0.01)
    raise SystemExit("%s did not start" % what)


def manne(*args, ok=True):
    r = subprocess.run([CLI] + list(args), capture_output=True, text=True, timeout=60)
    if ok and r.returncode != 0:
        raise AssertionError("manne %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def main():
    data = tempfile.mkdtemp(prefix="manne-checkout-")
    os.chmod(data, 0o700)
    os.makedirs(SHOTS, exist_ok=True)
    procs = []
    driver = None
    try:
        log = open(os.path.join(data, "ledger.log"), "ab")
        tls_dir = os.path.join(data, "tls")
        subprocess.run([os.environ["MANNE_LEDGER_EXE"], "--make-tls-cert", tls_dir], check=True, capture_output=True)
        ledger = subprocess.Popen([os.environ["MANNE_LEDGER_EXE"], "--data", os.path.join(data, "ledger"), "--demo",
                                   "--listen", "127.0.0.1:0", "--port-file", os.path.join(data, "port"),
                                   "--tls-listen", "127.0.0.1:0", "--tls-cert", os.path.join(tls_dir, "tls.crt"),
                                   "--tls-key", os.path.join(tls_dir, "tls.key")], stderr=log)
        procs.append(ledger)
        port = str(wait_port_file(os.path.join(data, "port"), ledger, "manne-ledger"))
        for _ in range(100):
            words = open(os.path.join(data, "port")).read().split()
            if "tls" in words:
                break
            time.sleep(0.02)
        tls_port = words[words.index("tls") + 1]
        keys = os.path.join(data, "ledger", "keys")
        board = ["--port", port, "--key", os.path.join(keys, "board0.key"), "--key", os.path.join(keys, "board1.key")]
        k = lambda name: os.path.join(data, name)
        for name in ("shop.key", "phone.key", "marie.key", "jean.key"):
            manne("keygen", k(name))
        manne("open-account", *board, "--role", "shop", "--new-key", k("shop.key"))
        manne("open-account", *board, "--role", "member", "--new-key", k("phone.key"))
        manne("fund", *board, "--amount", "500", "--bank-reference", "VIR-1")
        with open(k("pin"), "w") as f:
            f.write("2580\n")
        with open(k("bad-pin"), "w") as f:
            f.write("9999\n")
        os.chmod(k("pin"), 0o600)
        os.chmod(k("bad-pin"), 0o600)
        light = ["--argon-passes", "1", "--argon-memory-kib", "8", "--pin-file", k("pin")]
        manne("card", "new", *board, "--account", k("marie.key"), "--out", k("marie.txt"), *light)
        manne("card", "new", *board, "--account", k("jean.key"), "--out", k("jean.txt"), *light)
        for who in ("marie.key", "jean.key", "phone.key"):
            manne("issue", *board, "--to", k(who), "--amount", "25", "--reason", "allowance", "--programme", "p")
        marie_card = open(k("marie.txt")).read().strip()
        jean_card = open(k("jean.txt")).read().strip()

        # The shop's page speaks to the ledger as from another machine: TLS 1.3, pinned.
        pin = manne("tls-pin", os.path.join(tls_dir, "tls.crt"), "--json")
        pin = json.loads(pin.stdout)["pin"]
        checkout = subprocess.Popen([os.environ["MANNE_CHECKOUT"], "--key", k("shop.key"), "--port", tls_port,
                                     "--tls", "--pin", pin, "--listen", "127.0.0.1:0", "--port-file",
                                     k("checkout-port")],
                                    stdout=subprocess.DEVNULL, stderr=open(k("checkout.log"), "ab"))
        procs.append(checkout)
        site = "http://127.0.0.1:%d" % wait_port_file(k("checkout-port"), checkout, "manne-checkout")

        # ---- the page's security, seen from outside ----
        with urllib.request.urlopen(site + "/", timeout=10) as r:
            csp = r.headers["Content-Security-Policy"]
            assert csp is not None and "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
            assert r.headers["Cache-Control"] == "no-store"
            page = r.read().decode()
        token = page.split('name="manne-token" content="')[1].split('"')[0]
        assert len(token) == 64

        def post(path, fields, headers):
            req = urllib.request.Request(site + path, data=urllib.parse.urlencode(fields).encode(), headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        sale = {"amount": "1", "order": "X-1"}
        assert post("/api/request", sale, {"Origin": site}) == 403  # no token
        assert post("/api/request", sale, {"Origin": "http://evil.example", "X-Manne-Token": token}) == 403
        assert post("/api/request", sale, {"X-Manne-Token": token}) == 403  # no Origin
        assert post("/api/request", sale, {"Origin": site, "X-Manne-Token": "0" * 64}) == 403
        assert post("/api/request", sale, {"Origin": site, "X-Manne-Token": token}) == 200

        # ---- the cashier's page in Chromium ----
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1024,600",
                  "--disable-dev-shm-usage"):
            options.add_argument(a)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        wait = WebDriverWait(driver, 30)
        driver.get(site + "/")
        wait.until(EC.text_to_be_present_in_element((By.ID, "till"), "Boutique"))
        by_id = lambda i: driver.find_element(By.ID, i)

        def start(amount, order, how):
            by_id("btn-new").click() if by_id("step-result").is_displayed() else None
            by_id("amount").clear()
            by_id("amount").send_keys(amount)
            by_id("order").clear()
            if order:
                by_id("order").send_keys(order)
            by_id(how).click()

        def card_pay(amount, order, card, pin):
            start(amount, order, "btn-card")
            wait.until(EC.visibility_of_element_located((By.ID, "card-text")))
            by_id("card-text").clear()
            by_id("card-text").send_keys(card)  # what a USB scanner types
            for digit in pin:
                driver.find_element(By.CSS_SELECTOR, '#keypad button[data-digit="%s"]' % digit).click()
            by_id("btn-pin-ok").click()
            wait.until(EC.visibility_of_element_located((By.ID, "step-result")))
            return by_id("result-title").text, by_id("result-detail").text

        def shot(name):
            # The state on show, from the top of the window, as the cashier sees it.
            driver.execute_script("window.scrollTo(0, 0);")
            driver.save_screenshot(os.path.join(SHOTS, name + ".png"))

        shot("0-encaisser")
        title, detail = card_pay("3,50", "T-1", marie_card, "2580")
        assert title == "Payé : 3,50 Manne", title
        assert by_id("result").get_attribute("class") == "paid"
        shot("1-carte-payee")

        title, _ = card_pay("1", "", marie_card, "1111")
        assert title == "Code faux : encore 4 essais", title
        assert by_id("result").get_attribute("class") == "refused"
        shot("2-code-faux")

        # Jean's card: four wrong PINs at another till (the CLI), the fifth here.
        for _ in range(4):
            time.sleep(1.2)
            manne("card", "pay", "--port", port, "--card", k("jean.txt"), "--to", k("shop.key"), "--amount", "1",
                  "--pin-file", k("bad-pin"), "--key", k("shop.key"), ok=False)
        time.sleep(1.2)
        title, _ = card_pay("1", "", jean_card, "9999")
        assert title == "Carte bloquée : voir l'association", title
        shot("3-carte-bloquee")

        # A member with a phone pays the request shown as a QR code.
        start("2", "Q-1", "btn-request")
        wait.until(EC.visibility_of_element_located((By.ID, "qr-img")))
        wait.until(lambda d: by_id("request-uri").text.startswith("manne:"))
        assert by_id("qr-img").get_attribute("src").startswith("data:image/svg+xml;base64,")
        shot("4-demande-qr")
        manne("pay", "--port", port, "--key", k("phone.key"), "--request", by_id("request-uri").text)
        wait.until(EC.text_to_be_present_in_element((By.ID, "result-title"), "Payé : 2,00 Manne"))
        shot("5-demande-payee")

        # The same order number again: found, shown as paid, charged once.
        title, detail = card_pay("3,50", "T-1", marie_card, "2580")
        assert title == "Payé : 3,50 Manne", title
        assert "déjà payé" in detail, detail
        balance = json.loads(manne("balance", *board[:2], "--key", os.path.join(keys, "board0.key"), "--account",
                                   k("marie.key"), "--json").stdout)
        assert balance["balance"] == 2500 - 350, balance
        shot("6-deja-payee")

        # The day's list, and a refund from it.
        by_id("btn-new").click()
        by_id("btn-day-refresh").click()
        wait.until(lambda d: by_id("day-count").text == "2")
        assert by_id("day-sum").text == "5,50"
        buttons = driver.find_elements(By.CSS_SELECTOR, "#day-list button.refund-button")
        assert len(buttons) == 2
        buttons[-1].click()  # the oldest: Marie's 3,50
        alert = wait.until(EC.alert_is_present())
        alert.send_keys("1,50")
        alert.accept()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#day-list tr.refund")) == 1)
        assert by_id("day-sum").text == "4,00", by_id("day-sum").text
        shot("7-remboursement")
        with urllib.request.urlopen(site + "/day.csv", timeout=10) as r:
            csv = r.read().decode()
        assert csv.count("\r\n") == 4 and ";paiement;\"T-1\";3,50;" in csv and ";remboursement;" in csv, csv

        # The same page at an association counter: payments go to the
        # association, name the counter, and are what its day shows.
        manne("keygen", k("counter.key"))
        manne("open-account", *board, "--role", "counter", "--new-key", k("counter.key"))
        counter = subprocess.Popen([os.environ["MANNE_CHECKOUT"], "--key", k("counter.key"), "--port", port,
                                    "--association", os.path.join(keys, "association.key"),
                                    "--listen", "127.0.0.1:0", "--port-file", k("counter-port")],
                                   stdout=subprocess.DEVNULL, stderr=open(k("counter.log"), "ab"))
        procs.append(counter)
        counter_site = "http://127.0.0.1:%d" % wait_port_file(k("counter-port"), counter, "manne-checkout (counter)")
        driver.get(counter_site + "/")
        wait.until(EC.text_to_be_present_in_element((By.ID, "till"), "Comptoir de l’association"))
        time.sleep(1.2)  # Marie's card tried a wrong PIN at the shop a moment ago
        title, _ = card_pay("2", "PANIER-1", marie_card, "2580")
        assert title == "Payé : 2,00 Manne", title
        by_id("btn-new").click()
        by_id("btn-day-refresh").click()
        wait.until(lambda d: by_id("day-count").text == "1")
        assert driver.find_elements(By.CSS_SELECTOR, "#day-list button.refund-button") == []
        shot("8-comptoir")
        entry = json.loads(manne("payment", "--port", port, "--key", k("counter.key"), "--payee",
                                 os.path.join(keys, "association.key"), "--reference", "PANIER-1", "--json").stdout)
        assert entry["counter"] == manne("pubkey", k("counter.key")).stdout.split()[-1], entry

        # The treasurer's monthly report of this ledger, as a reader sees it
        # (SPEC section 12): made by manne-audit from an export, printed here.
        export = k("ledger.export")
        manne("export", export, "--port", port, "--key", os.path.join(keys, "board0.key"))
        vkey = json.loads(manne("checkpoint", "--port", port, "--json").stdout)["verifier_key"]
        month = time.strftime("%Y-%m", time.gmtime())
        report = k("rapport.html")
        r = subprocess.run([os.environ["MANNE_AUDIT"], "--state", k("audit"), "--file", export, "--checkpoint-key", vkey,
                            "--html", report, "--month", month], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        driver.get("file://" + report)
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("La Manne : rapport de")
        assert len(driver.find_elements(By.TAG_NAME, "svg")) == 4
        driver.set_window_size(900, 2400)
        driver.save_screenshot(os.path.join(SHOTS, "9-rapport-du-mois.png"))
        driver.set_window_size(1024, 600)
        driver.get(counter_site + "/")

        # The page worked under its CSP: no violation reported.
        for entry in driver.get_log("browser"):
            assert "Content Security Policy" not in entry["message"], entry
        print("ok: over TLS, card, wrong PIN, locked card, payment request, once-only order, refund, CSV, counter, CSP; "
              "screenshots in %s" % SHOTS)
    finally:
        if driver is not None:
            driver.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
