// Package browsertest finds and starts a headless Chromium driven by
// chromedp, for the example site's browser test.
//
// It lives in the example's module, not in internal/testutil, so that
// chromedp is a requirement of the example alone and not of the library.
package browsertest
