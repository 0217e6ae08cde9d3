// Package browsertest finds and starts a headless Chromium driven by
// chromedp, for the example site's browser test.
//
// It is a package of its own so that only that test links chromedp.
package browsertest
