package sessions_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// newExampleManager builds a Manager for the examples. A real application
// loads its keyring with keyring.Load or keyring.Watch and passes a
// *revocation.Store as the Revoker; the examples use an in-memory one.
func newExampleManager() *sessions.Manager {
	keys, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	m, err := sessions.New(sessions.Config{
		Keys:    keys,
		Revoker: testutil.NewMemRevoker(nil),
	})
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// request sends one request to h with the cookie (if any) and returns the
// cookie the response sets, or the one sent if none is set.
func request(h http.Handler, cookie *http.Cookie) *http.Cookie {
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if cs := rec.Result().Cookies(); len(cs) > 0 {
		return cs[0]
	}
	return cookie
}

// A Manager's Handler loads the session before the handler runs and
// writes the cookie when the response starts.
func Example() {
	m := newExampleManager()

	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		if err != nil {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		visits := sessions.Get(s, "visits", 0) + 1
		if err := s.Set("visits", visits); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Println("visit", visits)
	}))

	cookie := request(h, nil)
	cookie = request(h, cookie)
	request(h, cookie)
	fmt.Println(cookie.Name, cookie.Secure, cookie.HttpOnly, cookie.SameSite == http.SameSiteLaxMode)
	// Output:
	// visit 1
	// visit 2
	// visit 3
	// session true true true
}

// Values keep their Go type: integers stay integers, and anything else is
// stored as JSON and decoded into the type asked for.
func ExampleGet() {
	m := newExampleManager()
	_, s := m.Load(httptest.NewRequest("GET", "/", nil))

	type Cart struct {
		Items []string
		Total int
	}
	for k, v := range map[string]any{
		"count": 3,
		"id":    int64(1) << 40,
		"name":  "Ada",
		"cart":  Cart{Items: []string{"tea"}, Total: 4},
	} {
		if err := s.Set(k, v); err != nil {
			log.Fatal(err)
		}
	}
	if err := s.Set("broken", make(chan int)); err != nil {
		fmt.Println("Set refuses what it can't encode")
	}

	fmt.Println(sessions.Get(s, "count", 0))
	fmt.Println(sessions.Get[int64](s, "id", 0))
	fmt.Println(sessions.Get(s, "name", "nobody"))
	fmt.Println(sessions.Get(s, "missing", "default"))
	fmt.Printf("%+v\n", sessions.Get(s, "cart", Cart{}))
	_, ok := sessions.Lookup[string](s, "count")
	fmt.Println("count as string:", ok)
	// Output:
	// Set refuses what it can't encode
	// 3
	// 1099511627776
	// Ada
	// default
	// {Items:[tea] Total:4}
	// count as string: false
}

// Login binds a user and cycles the session ID; Logout (Flush) ends the
// session on the server, so a copy of the old cookie no longer opens.
func ExampleSession_Login() {
	m := newExampleManager()
	var action string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		switch action {
		case "login":
			if err := s.Login(r.Context(), "user-42"); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		case "logout":
			if err := s.Logout(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		default:
			fmt.Printf("user %q\n", s.UserID())
		}
	}))

	action = "login"
	cookie := request(h, nil)
	action = ""
	request(h, cookie)

	copied := *cookie
	action = "logout"
	deleted := request(h, cookie)
	fmt.Println("logout deletes the cookie:", deleted.MaxAge < 0)

	action = ""
	request(h, &copied)
	// Output:
	// user "user-42"
	// logout deletes the cookie: true
	// user ""
}

// Flush clears the data, revokes the old session ID and starts a new one.
func ExampleSession_Flush() {
	m := newExampleManager()
	_, s := m.Load(httptest.NewRequest("GET", "/", nil))
	if err := s.Set("theme", "dark"); err != nil {
		log.Fatal(err)
	}
	before := s.ID()
	if err := s.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Len(), s.ID() != before)
	// Output:
	// 0 true
}

// Flash messages survive until they are read once.
func ExampleSession_AddFlash() {
	m := newExampleManager()
	_, s := m.Load(httptest.NewRequest("GET", "/", nil))
	s.AddFlash("Saved.")
	fmt.Println(s.Flashes())
	fmt.Println(len(s.Flashes()))
	// Output:
	// [Saved.]
	// 0
}

// Custom expiries follow Django's set_expiry; all are enforced on the
// server and capped by the absolute lifetime.
func ExampleSession_SetExpiry() {
	m := newExampleManager()
	_, s := m.Load(httptest.NewRequest("GET", "/", nil))
	fmt.Println(s.ExpiryAge())
	s.SetExpiry(30 * time.Minute)
	fmt.Println(s.ExpiryAge())
	s.SetExpireAtBrowserClose()
	fmt.Println(s.ExpireAtBrowserClose(), s.ExpiryAge())
	s.ResetExpiry()
	fmt.Println(s.ExpireAtBrowserClose())
	// Output:
	// 336h0m0s
	// 30m0s
	// true 336h0m0s
	// false
}

// RevokeUser logs a user out everywhere: every session of theirs created
// before the call stops opening, on every instance sharing the list.
func ExampleManager_RevokeUser() {
	m := newExampleManager()
	r, s := m.Load(httptest.NewRequest("GET", "/", nil))
	if err := s.Login(r.Context(), "user-42"); err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, r, s); err != nil {
		log.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]

	if err := m.RevokeUser(context.Background(), "user-42"); err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	_, s = m.Load(req)
	fmt.Printf("user %q, new session: %v\n", s.UserID(), s.IsNew())
	fmt.Println("revoked cookies seen:", m.Stats().Invalid.Revoked)
	// Output:
	// user "", new session: true
	// revoked cookies seen: 1
}

// Inspect describes a session cookie, for support and debugging (sealctl
// inspect uses it): who it belongs to, what it holds, when it expires.
func ExampleManager_Inspect() {
	m := newExampleManager()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if err := s.Login(r.Context(), "ann"); err != nil {
			http.Error(w, "login failed", http.StatusServiceUnavailable)
			return
		}
		_ = s.Set("cart", 3)
	}))
	cookie := request(h, nil)

	info, err := m.Inspect(cookie.Value)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.UserID, info.Data["cart"], info.Expired, info.Expires.Sub(info.Saved))
	// Output: ann 3 false 336h0m0s
}
