package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvVar names an environment variable that, when set, gives the
// path of the Chromium or Chrome binary to drive instead of searching PATH.
const EnvVar = "SEALED_CHROMIUM"

// names are the executables Find looks for on PATH, in order.
// Debian's package installs /usr/bin/chromium.
var names = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// Find returns the path of a Chromium-family browser: the value of
// SEALED_CHROMIUM if set, else the first of chromium, chromium-browser,
// google-chrome-stable and google-chrome found on PATH. It returns "" when
// there is none.
func Find() string {
	if p := os.Getenv(EnvVar); p != "" {
		return p
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Missing is what a test without a browser says: what was looked for and
// how to get one.
const Missing = "no Chromium found (looked for $" + EnvVar +
	", chromium, chromium-browser, google-chrome on PATH); install it with `apt-get install chromium` to run the browser test"

// Start starts a fresh headless Chromium for the test and returns a
// chromedp context bound to its first tab, cancelled after timeout or when
// the test ends, whichever comes first; extra options (flags) follow the
// defaults. The browser gets its own
// user-data-dir under t.TempDir and runs with flags that suit a root user on
// a machine with no outside network: --no-sandbox, --disable-gpu,
// --disable-quic, no first-run UI, no background networking, no component
// updates and no sync. Starting the browser may take up to timeout too
// (chromedp's own limit is 20 s).
//
// Without a browser, Start calls t.Skip with a message saying how to get
// one, except when the environment variable CI is "true": there the missing
// browser is a failure (t.Fatal), so CI can't pass by skipping the test.
func Start(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Find()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(Missing)
		}
		t.Skip(Missing)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.WindowSize(1200, 900),
		// chromedp gives Chromium 20 s to start by default, which a cold
		// start on a loaded two-core CI machine can exceed; the test's own
		// timeout is the bound instead.
		chromedp.WSURLReadTimeout(timeout),
	)
	opts = append(opts, extra...)

	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// Start the browser now so a broken install fails here, with a clear
	// message, and not in the middle of the test's first action.
	if err := chromedp.Do(tabCtx); err != nil {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("browsertest: start browser %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancelTab() // closes the tab and the browser, waits for the process
		cancelAlloc()
		cancelTimeout()
	})
	return tabCtx
}

// Profile opens a tab of the browser behind ctx (a context from Start) in
// a new browser context: a profile of its own, with its own cookies and
// its own DBSC sessions and keys, as a second device has, or a copy of the
// cookies on another machine. It is closed when the test ends, before the
// browser.
func Profile(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	pctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(pctx); err != nil {
		cancel()
		t.Fatalf("browsertest: new browser context: %v", err)
	}
	t.Cleanup(cancel)
	return pctx
}
