package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
)

// fromAddr makes every request say it comes from addr, as a TLS proxy in
// front of the site would (Config.BehindTLSProxy).
type fromAddr struct {
	addr string
	next http.RoundTripper
}

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Add("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// limitedSite is a site with limits, behind a pretend TLS proxy (plain
// HTTP in the test, so cookies stay insecure and named "session"), and a
// client per address.
func limitedSite(t *testing.T, l Limits) (*site, func(addr string) *testutil.Client) {
	s := newSite(t, func(c *Config) { c.Limits, c.BehindTLSProxy = l, true })
	return s, func(addr string) *testutil.Client {
		return testutil.NewClient(t, s.http.URL, fromAddr{addr, http.DefaultTransport})
	}
}

func postLogin(c *testutil.Client, user, password string) *testutil.Response {
	c.T.Helper()
	return c.PostForm("/login", url.Values{"username": {user}, "password": {password}})
}

// want429 checks a refusal and its Retry-After.
func want429(t *testing.T, what string, resp *testutil.Response, retryAfter, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != retryAfter {
		t.Fatalf("%s: %d, Retry-After %q; want 429, %q", what, resp.StatusCode, resp.Header.Get("Retry-After"), retryAfter)
	}
	if !strings.Contains(resp.Body, body) {
		t.Errorf("%s: body lacks %q", what, body)
	}
}

func TestLoginLimitPerUser(t *testing.T) {
	s, from := limitedSite(t, Limits{LoginUser: Limit{Burst: 3, Per: 3 * time.Minute}})
	for _, name := range []string{"alice", "nobody"} { // known or not, the same answers
		c := from("198.51.100.7")
		for i, pw := range []string{"wrong", "", ""} { // an empty one skips bcrypt, and counts
			if resp := postLogin(c, name, pw); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: wrong password %d: %d, want 401", name, i+1, resp.StatusCode)
			}
		}
		// The right password too: otherwise guessing goes on.
		want429(t, name+" after 3 failures", postLogin(from("203.0.113.9"), name, name+"-password"), "60", "Too many failed logins. Try again in 60 seconds.")
	}
	s.clock.Advance(59 * time.Second)
	want429(t, "59 s later", postLogin(from("203.0.113.9"), "alice", "alice-password"), "1", "Try again in 1 second.")
	s.clock.Advance(time.Second)
	wantRedirect(t, "a minute later", postLogin(from("203.0.113.9"), "alice", "alice-password"), "/")
	// bob's own budget is untouched.
	wantRedirect(t, "bob", postLogin(from("198.51.100.7"), "bob", "bob-password"), "/")
}

func TestLoginLimitPerAddress(t *testing.T) {
	s, from := limitedSite(t, Limits{LoginAddr: Limit{Burst: 4, Per: 4 * time.Minute}})
	a := from("198.51.100.7")
	for i := range 4 {
		if resp := postLogin(a, fmt.Sprintf("user%d", i), ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	want429(t, "fifth try from the address", postLogin(a, "alice", "alice-password"), "60", "Too many failed logins")
	// An X-Forwarded-For entry the client wrote itself changes nothing:
	// the proxy's entry is the last.
	spoof := testutil.NewClient(t, s.http.URL, fromAddr{"10.9.9.9, 198.51.100.7", http.DefaultTransport})
	want429(t, "with an invented X-Forwarded-For", postLogin(spoof, "alice", "alice-password"), "60", "Too many failed logins")
	// The same /64 is the same client.
	v6 := from("2001:db8::1")
	for range 4 {
		postLogin(v6, "x", "")
	}
	want429(t, "another address in the /64", postLogin(from("2001:db8::ffff:1"), "bob", "bob-password"), "60", "Too many")
	wantRedirect(t, "another address", postLogin(from("198.51.100.8"), "alice", "alice-password"), "/")
	s.clock.Advance(time.Minute)
	wantRedirect(t, "a minute later", postLogin(a, "alice", "alice-password"), "/")
}

// TestLoginsAndLogoutsNotLimited: real users' logins and logouts from one
// address (an office behind a NAT, a load test) are never throttled: with
// every limit at two an hour and the clock standing still, 8 logins and
// logouts pass over HTTP (each login costs a bcrypt comparison, over a
// second under -race on a loaded machine), and 500 logins between a few
// typos through the limiter itself.
func TestLoginsAndLogoutsNotLimited(t *testing.T) {
	tight := Limit{Burst: 2, Per: time.Hour}
	_, from := limitedSite(t, Limits{LoginUser: tight, LoginAddr: tight, AnonEndAddr: tight})
	c := from("198.51.100.7")
	for i := range 8 {
		user := []string{"alice", "bob"}[i%2]
		if resp := postLogin(c, user, user+"-password"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %d: %d, want 303", i+1, resp.StatusCode)
		}
		wantRedirect(t, fmt.Sprintf("logout %d", i+1), c.PostForm("/logout", nil), "/")
	}

	l := newLimiter(DefaultLimits)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 500 {
		user := fmt.Sprint("user", i%50)
		if i%50 == 0 { // a typo now and then
			if _, wait := l.beginLogin(now, user, "198.51.100.7"); wait != 0 {
				t.Fatalf("typo %d refused", i/50+1)
			}
		}
		a, wait := l.beginLogin(now, user, "198.51.100.7")
		if wait != 0 {
			t.Fatalf("login %d had to wait %v", i+1, wait)
		}
		a.succeeded()
		now = now.Add(time.Second)
	}
}

// TestAnonymousEndLimit: an anonymous session that held a cookie costs a
// revocation entry to end, so ending them is limited per address; ending
// one that never held a cookie costs nothing and is not limited.
func TestAnonymousEndLimit(t *testing.T) {
	s, from := limitedSite(t, Limits{AnonEndAddr: Limit{Burst: 5, Per: time.Minute}})
	c := from("198.51.100.7")
	churn := func() *testutil.Response {
		wantRedirect(t, "add to cart", c.PostForm("/cart/add", url.Values{"product": {"tea"}}), "/cart")
		return c.PostForm("/logout", nil)
	}
	for i := range 5 {
		wantRedirect(t, fmt.Sprintf("anonymous logout %d", i+1), churn(), "/")
	}
	want429(t, "sixth", churn(), "12", "Too many sessions ended from your network")
	if got := s.store.Stats().Sessions; got != 5 {
		t.Errorf("revocation entries: %d, want 5", got)
	}
	fresh := from("198.51.100.7")
	for i := range 20 {
		wantRedirect(t, fmt.Sprintf("logout without a cookie %d", i+1), fresh.PostForm("/logout", nil), "/")
	}
	if got := s.store.Stats().Sessions; got != 5 {
		t.Errorf("revocation entries after logouts without a cookie: %d, want still 5", got)
	}
	login(t, c, "bob", "bob-password")
	wantRedirect(t, "bob's logout", c.PostForm("/logout", nil), "/")
	wantRedirect(t, "another address", from("198.51.100.8").PostForm("/logout", nil), "/")
	s.clock.Advance(12 * time.Second)
	wantRedirect(t, "12 s later", churn(), "/")
}

func TestLimitFlag(t *testing.T) {
	for in, want := range map[string]Limit{"5/5m": {5, 5 * time.Minute}, "1/1s": {1, time.Second}, "off": {}, "0": {}} {
		var l Limit
		if err := l.Set(in); err != nil || l != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, l, err, want)
		}
	}
	for _, in := range []string{"", "5", "5/", "/5m", "x/5m", "5/x", "-1/5m", "5/-1m", "5/0s", "0/5m"} {
		var l Limit
		if err := l.Set(in); err == nil {
			t.Errorf("Set(%q) = %v, want an error", in, l)
		}
	}
	if got := (Limit{5, 5 * time.Minute}).String(); got != "5/5m0s" {
		t.Errorf("String = %q", got)
	}
	cfg, err := parseFlags([]string{"--limit-login-user", "off", "--limit-anon-end", "100/1m"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultLimits
	want.LoginUser, want.AnonEndAddr = Limit{}, Limit{100, time.Minute}
	if cfg.Limits != want {
		t.Errorf("limits %+v, want %+v", cfg.Limits, want)
	}
	if _, err := parseFlags([]string{"--limit-login-addr", "lots"}, &strings.Builder{}); err == nil || exitCode(err) != 2 {
		t.Errorf("bad limit: %v, want a usage error", err)
	}
}

// TestBucketsBounded: the buckets of one limit stay under their bound:
// full ones (the same as none) go first, then half of the rest.
func TestBucketsBounded(t *testing.T) {
	b := newBuckets(Limit{Burst: 2, Per: time.Minute})
	b.max = 4
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 4 {
		b.reserve(now, fmt.Sprint(i))
	}
	now = now.Add(time.Minute) // all four refilled
	if _, wait := b.reserve(now, "spender"); wait != 0 {
		t.Fatal("a fresh key had to wait")
	}
	if len(b.m) != 1 {
		t.Errorf("after a sweep of full buckets: %d buckets, want only the new one", len(b.m))
	}
	b.reserve(now, "spender") // empty now
	for i := range 3 {
		b.reserve(now, fmt.Sprint("busy", i))
	}
	if _, wait := b.reserve(now, "spender"); wait == 0 {
		t.Error("an emptied bucket gave a token")
	}
	b.reserve(now, "one more")
	if len(b.m) > b.max {
		t.Errorf("%d buckets, bound %d", len(b.m), b.max)
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		remote, xff string
		proxy       bool
		want        string
	}{
		{"192.0.2.1:1234", "", false, "192.0.2.1"},
		{"192.0.2.1:1234", "198.51.100.7", false, "192.0.2.1"}, // no proxy: the header is the client's
		{"192.0.2.1:1234", "10.0.0.1, 198.51.100.7", true, "198.51.100.7"},
		{"192.0.2.1:1234", "", true, "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", false, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.3]:1", "", false, "192.0.2.3"},
	}
	for _, tt := range tests {
		s := &Server{cfg: Config{BehindTLSProxy: tt.proxy}}
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientAddr(r); got != tt.want {
			t.Errorf("clientAddr(%s, XFF %q, proxy %v) = %q, want %q", tt.remote, tt.xff, tt.proxy, got, tt.want)
		}
	}
}
