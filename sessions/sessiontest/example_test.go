package sessiontest_test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

// shop is the application under test in the examples: a page that greets
// the user and counts the cart, log in, log out, add to the cart.
func shop(m *sessions.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		cart := sessions.Get(s, "cart", []string(nil))
		fmt.Fprintf(w, "hello %s, %d in cart", cmp.Or(s.UserID(), "guest"), len(cart))
		if f := s.Flashes(); len(f) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(f, "; "))
		}
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if err := s.Login(r.Context(), r.FormValue("user")); err != nil {
			http.Error(w, "login failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if err := s.Logout(r.Context()); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		cart := append(sessions.Get(s, "cart", []string(nil)), r.FormValue("item"))
		if err := s.Set("cart", cart); err != nil {
			http.Error(w, "cart failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return m.Handler(mux)
}

// serve runs one request through h and returns the recorder.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// t stands in for the *testing.T that a real test has.
var t testing.TB = exampleT{}

type exampleT struct{ testing.TB }

func (exampleT) Helper()                           {}
func (exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A Kit's Request carries a session shaped by options: a user, values,
// flash messages, an expiry.
func Example() {
	k := sessiontest.New(t, sessions.Config{})
	h := shop(k.Manager)

	req := k.Request("GET", "/",
		sessiontest.User("alice"),
		sessiontest.Values(map[string]any{"cart": []string{"tea", "cups"}}),
		sessiontest.Flash("Welcome back"),
		sessiontest.ExpiresIn(time.Hour))
	fmt.Println(serve(h, req).Body)
	// Output: hello alice, 2 in cart (Welcome back)
}

// Written tells what a response did to the session cookie.
func ExampleKit_Written() {
	k := sessiontest.New(t, sessions.Config{})
	h := shop(k.Manager)

	add := k.RequestBody("POST", "/cart", strings.NewReader("item=tea"), sessiontest.User("alice"))
	add.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := k.Written(serve(h, add).Header())
	fmt.Println(w.Outcome, w.Session.UserID, w.Session.Data["cart"])

	w = k.Written(serve(h, k.Request("POST", "/logout", sessiontest.User("alice"))).Header())
	fmt.Println(w.Outcome)

	w = k.Written(serve(h, httptest.NewRequest("GET", "/", nil)).Header())
	fmt.Println(w.Outcome)
	// Output:
	// saved alice [tea]
	// deleted
	// no cookie
}

// A Client follows a user across requests: after logout, a copy of the
// cookie taken before is worth nothing.
func ExampleKit_Client() {
	k := sessiontest.New(t, sessions.Config{})
	c := k.Client(shop(k.Manager))

	c.PostForm("/login", url.Values{"user": {"alice"}})
	c.PostForm("/cart", url.Values{"item": {"tea"}})
	fmt.Println(c.Get("/").Body)
	copied := c.Cookies()

	c.PostForm("/logout", nil)
	fmt.Println(c.Get("/").Body)

	c.SetCookies(copied)
	_, live := c.Session()
	fmt.Println(c.Get("/").Body, live)
	// Output:
	// hello alice, 1 in cart
	// hello guest, 0 in cart
	// hello guest, 0 in cart false
}

// RevokeUser is "log out everywhere"; RevokeAll ends every session.
func ExampleKit_RevokeUser() {
	k := sessiontest.New(t, sessions.Config{})
	h := shop(k.Manager)
	alice := k.Cookies(sessiontest.User("alice"))
	bob := k.Cookies(sessiontest.User("bob"))

	k.RevokeUser("alice")
	_, aliceLive := k.Live(alice)
	_, bobLive := k.Live(bob)
	fmt.Println(aliceLive, bobLive)

	k.RevokeAll()
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(bob[0])
	fmt.Println(serve(h, req).Body)
	// Output:
	// false true
	// hello guest, 0 in cart
}

// The clock moves only when the test says so: past the idle expiry, or
// past the absolute lifetime that no renewal can extend.
func ExampleKit_AdvancePastIdle() {
	k := sessiontest.New(t, sessions.Config{CookieAge: time.Hour})
	h := shop(k.Manager)
	req := k.Request("GET", "/", sessiontest.User("alice"))

	k.Clock.Advance(59 * time.Minute)
	fmt.Println(serve(h, req.Clone(req.Context())).Body)
	k.AdvancePastIdle()
	fmt.Println(serve(h, req).Body)
	// Output:
	// hello alice, 0 in cart
	// hello guest, 0 in cart
}

// With sliding renewal a user who keeps coming back stays logged in, but
// never past the absolute lifetime.
func ExampleKit_AdvancePastLifetime() {
	k := sessiontest.New(t, sessions.Config{SaveEveryRequest: true, CookieAge: time.Hour, AbsoluteLifetime: 2 * time.Hour})
	c := k.Client(shop(k.Manager))
	c.SetCookies(k.Cookies(sessiontest.User("alice")))

	for range 2 { // each visit within the idle hour renews the cookie
		k.Clock.Advance(50 * time.Minute)
		fmt.Println(c.Get("/").Body)
	}
	k.AdvancePastLifetime()
	fmt.Println(c.Get("/").Body)
	// Output:
	// hello alice, 0 in cart
	// hello alice, 0 in cart
	// hello guest, 0 in cart
}
