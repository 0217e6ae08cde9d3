// Package sessiontest helps test handlers that use sealed sessions, with
// real sessions and no Badger, NATS or browser.
//
// A [Kit] is a [sessions.Manager] built for one test, on a keyring
// generated in memory, an in-memory revocation list ([MemRevoker], which
// follows the contract of the Badger-backed revocation.Store: revoked
// means revoked) and a [Clock] that moves only when the test says so.
//
// # Usage
//
// Give the Kit's Manager to the handlers under test, then:
//
//	k := sessiontest.New(t, sessions.Config{})
//	h := k.Manager.Handler(app.Routes(k.Manager))
//
//	// A request that already carries a session.
//	req := k.Request("GET", "/cart", sessiontest.User("alice"),
//		sessiontest.Values(map[string]any{"cart": []string{"tea"}}),
//		sessiontest.Flash("Added"), sessiontest.ExpiresIn(time.Hour))
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, req)
//
//	// What the response did to the session: Saved (and what it holds),
//	// Deleted, or NoCookie.
//	w := k.Written(rec.Header())
//	if w.Outcome != sessiontest.Saved || w.Session.UserID != "alice" { ... }
//
//	// A flow across requests, with a cookie jar.
//	c := k.Client(h)
//	c.PostForm("/login", url.Values{"user": {"alice"}})
//	old := c.Cookies()
//	c.PostForm("/logout", nil)
//	c.SetCookies(old) // replay the cookie copied before logout
//	if _, live := c.Session(); live { t.Error("logout is not real") }
//
//	// Revocation and time.
//	k.RevokeUser("alice")
//	k.RevokeAll()
//	k.AdvancePastIdle()     // past Config.CookieAge
//	k.AdvancePastLifetime() // past Config.AbsoluteLifetime
//
// Request and Cookies seal through the Kit's Manager, so the cookie is the
// one an earlier response of the application would have set, and
// Manager.Stats counts it (one new session, one save). Written, Live and
// Client.Session decode with Manager.Inspect and count nothing.
//
// # Security
//
// Everything here is for tests: the keyring lives in memory and is never
// written anywhere, the revocation list is lost with the process. Do not
// use a Kit to serve real users.
//
// # Concurrency
//
// A Kit belongs to the test that made it and fails that test on error; its
// Manager, MemRevoker and Clock are safe for concurrent use, so handlers
// under test may run in several goroutines. A Client follows one user and
// is not safe for concurrent use.
//
// A test that imports sessiontest links no Badger, NATS, browser driver or
// Prometheus client (TestLightDeps checks it).
package sessiontest
