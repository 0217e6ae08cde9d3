package sessions_test

import (
	"errors"
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

const (
	uaFirefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaSafariIOS    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaChromeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// registryApp serves /login (as alice), /whoami, /list (one line per
// session: current-mark device id), /end (form id; the error's name) and
// /others.
func registryApp(m *sessions.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if err := s.Login(r.Context(), r.FormValue("as")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		fmt.Fprint(w, s.UserID())
	})
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		list, err := m.Sessions(r.Context(), r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		for _, si := range list {
			fmt.Fprintf(w, "%v|%s|%s\n", si.Current, si.Device, si.ID)
		}
	})
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) {
		err := m.EndSession(r.Context(), r, r.FormValue("id"))
		if errors.Is(err, sessions.ErrNotFound) {
			http.Error(w, "not found", 404)
		} else if err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/others", func(w http.ResponseWriter, r *http.Request) {
		if err := m.EndOtherSessions(r.Context(), r); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	return m.Handler(mux)
}

func uaGet(c *sessiontest.Client, path, ua string) *sessiontest.Response {
	req := httptest.NewRequest(http.MethodGet, sessiontest.Origin+path, nil)
	req.Header.Set("User-Agent", ua)
	return c.Do(req)
}

type row struct {
	current bool
	device  string
	id      string
}

func listRows(t *testing.T, c *sessiontest.Client, ua string) []row {
	t.Helper()
	resp := uaGet(c, "/list", ua)
	if resp.StatusCode != 200 {
		t.Fatalf("/list: %d %s", resp.StatusCode, resp.Body)
	}
	var rows []row
	for line := range strings.Lines(resp.Body) {
		f := strings.Split(strings.TrimSpace(line), "|")
		rows = append(rows, row{current: f[0] == "true", device: f[1], id: f[2]})
	}
	return rows
}

func TestRegistryListEndAndEndOthers(t *testing.T) {
	reg := sessiontest.NewMemRegistry()
	k := sessiontest.New(t, sessions.Config{Registry: reg})
	h := registryApp(k.Manager)
	first, second, third, mallory := k.Client(h), k.Client(h), k.Client(h), k.Client(h)
	uaGet(first, "/login?as=alice", uaFirefoxLinux)
	k.Clock.Advance(time.Second)
	uaGet(second, "/login?as=alice", uaSafariIOS)
	k.Clock.Advance(time.Second)
	uaGet(mallory, "/login?as=mallory", uaChromeWin)

	rows := listRows(t, first, uaFirefoxLinux)
	if len(rows) != 2 || rows[0].device != "Safari on iOS" || rows[0].current ||
		rows[1].device != "Firefox on Linux" || !rows[1].current {
		t.Fatalf("alice's first client sees %+v, want Safari on iOS, then Firefox on Linux (current)", rows)
	}
	// Mallory can't end alice's session, nor one with a malformed ID.
	for _, id := range []string{rows[0].id, "zz", strings.Repeat("0", 64)} {
		if resp := mallory.PostForm("/end", url.Values{"id": {id}}); resp.StatusCode != 404 {
			t.Fatalf("mallory ending %q: %d, want 404", id, resp.StatusCode)
		}
	}
	if got := uaGet(second, "/whoami", uaSafariIOS).Body; got != "alice" {
		t.Fatalf("second client is %q after mallory's tries, want alice", got)
	}
	if resp := first.PostForm("/end", url.Values{"id": {rows[0].id}}); resp.StatusCode != 200 {
		t.Fatalf("alice ending her second session: %d %s", resp.StatusCode, resp.Body)
	}
	if got := uaGet(second, "/whoami", uaSafariIOS).Body; got != "" {
		t.Fatalf("second client is %q after being signed out, want a guest", got)
	}
	if rows := listRows(t, first, uaFirefoxLinux); len(rows) != 1 || !rows[0].current {
		t.Fatalf("after ending the second: %+v, want only the current", rows)
	}
	if resp := first.PostForm("/end", url.Values{"id": {rows[0].id}}); resp.StatusCode != 404 {
		t.Fatalf("ending an already ended session: %d, want 404", resp.StatusCode)
	}

	k.Clock.Advance(time.Second)
	uaGet(third, "/login?as=alice", uaChromeWin)
	req := httptest.NewRequest(http.MethodPost, sessiontest.Origin+"/others", nil)
	req.Header.Set("User-Agent", uaFirefoxLinux)
	if resp := first.Do(req); resp.StatusCode != 200 {
		t.Fatalf("/others: %d %s", resp.StatusCode, resp.Body)
	}
	if got := uaGet(third, "/whoami", uaChromeWin).Body; got != "" {
		t.Fatalf("third client is %q after sign-out-others, want a guest", got)
	}
	if got := uaGet(first, "/whoami", uaFirefoxLinux).Body; got != "alice" {
		t.Fatalf("first client is %q after sign-out-others, want alice still", got)
	}
	if rows := listRows(t, first, uaFirefoxLinux); len(rows) != 1 || !rows[0].current || rows[0].device != "Firefox on Linux" {
		t.Fatalf("after sign-out-others: %+v, want only the current, re-recorded", rows)
	}
	if got := uaGet(mallory, "/whoami", uaChromeWin).Body; got != "mallory" {
		t.Fatalf("mallory is %q, want untouched", got)
	}
}

func TestRegistryCycleIDRecordsTheNewID(t *testing.T) {
	reg := sessiontest.NewMemRegistry()
	k := sessiontest.New(t, sessions.Config{Registry: reg, RegistryNetwork: true})
	mux := http.NewServeMux()
	mux.HandleFunc("/cycle", func(w http.ResponseWriter, r *http.Request) {
		s, _ := k.Manager.Session(r)
		if err := s.CycleID(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.Handle("/", registryApp(k.Manager))
	c := k.Client(k.Manager.Handler(mux))
	uaGet(c, "/login?as=alice", uaChromeWin)
	before := listRows(t, c, uaChromeWin)
	uaGet(c, "/cycle", uaChromeWin)
	after := listRows(t, c, uaChromeWin)
	if len(before) != 1 || len(after) != 1 || before[0].id == after[0].id || !after[0].current {
		t.Fatalf("before CycleID %+v, after %+v: want one current session with a new ID", before, after)
	}
	// httptest requests come from 192.0.2.1.
	if after[0].device != "Chrome on Windows, 192.0.2.0/24" {
		t.Fatalf("device %q, want the browser and the /24", after[0].device)
	}
	if n := reg.Len("alice"); n != 2 {
		t.Fatalf("registry holds %d logins, want 2 (the old one revoked, filtered by the Manager)", n)
	}
}

func TestRegistryOffAndAnonymous(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req, _ = k.Manager.Load(req)
	if _, err := k.Manager.Sessions(req.Context(), req); !errors.Is(err, sessions.ErrNoRegistry) {
		t.Fatalf("Sessions without a registry: %v, want ErrNoRegistry", err)
	}
	k = sessiontest.New(t, sessions.Config{Registry: sessiontest.NewMemRegistry()})
	req, _ = k.Manager.Load(httptest.NewRequest(http.MethodGet, "/", nil))
	if list, err := k.Manager.Sessions(req.Context(), req); err != nil || len(list) != 0 {
		t.Fatalf("anonymous Sessions: %v, %v; want none", list, err)
	}
	if err := k.Manager.EndSession(req.Context(), req, strings.Repeat("ab", 16)); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("anonymous EndSession: %v, want ErrNotFound", err)
	}
	if err := k.Manager.EndOtherSessions(req.Context(), req); !errors.Is(err, sessions.ErrEmptyUserID) {
		t.Fatalf("anonymous EndOtherSessions: %v, want ErrEmptyUserID", err)
	}
}

func TestUserAgentDevice(t *testing.T) {
	for ua, want := range map[string]string{
		uaFirefoxLinux: "Firefox on Linux",
		uaSafariIOS:    "Safari on iOS",
		uaChromeWin:    "Chrome on Windows",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":               "Chrome on Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": "Edge on macOS",
		"curl/8.5.0": "curl",
		"":           "Unknown device",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("User-Agent", ua)
		if got := sessions.UserAgentDevice(r); got != want {
			t.Errorf("UserAgentDevice(%q) = %q, want %q", ua, got, want)
		}
	}
}
