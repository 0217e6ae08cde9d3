package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/sessions"
)

// With --dbsc, a login offers device binding, /dbsc is the Manager's
// endpoint (outside the session middleware: a bogus proof is refused
// there, not routed to a 404), and the session page says the session is
// not bound yet. Without it, nothing of that shows.
func TestDBSCOffered(t *testing.T) {
	for _, on := range []bool{true, false} {
		s := newSite(t, func(c *Config) { c.DBSC = on })
		c := s.client()
		resp := c.PostForm("/login", url.Values{"username": {"alice"}, "password": {"alice-password"}})
		offer := resp.Header.Get(sessions.HeaderSessionRegistration)
		if on != (offer != "") {
			t.Fatalf("dbsc %v: login's %s = %q", on, sessions.HeaderSessionRegistration, offer)
		}
		if on && !strings.Contains(offer, `path="`+dbscPath+`"`) && !strings.Contains(offer, "path="+dbscPath) {
			t.Errorf("offer %q does not name %s", offer, dbscPath)
		}

		var v sessionView
		if err := json.Unmarshal([]byte(c.Get("/api/session").Body), &v); err != nil {
			t.Fatal(err)
		}
		if v.DeviceBound || v.Username != "alice" {
			t.Errorf("dbsc %v: /api/session %+v, want alice, not bound", on, v)
		}
		if body := c.Get("/session").Body; !strings.Contains(body, `id="sess-bound"`) {
			t.Error("/session does not say whether the session is device bound")
		}

		proof := c.Do(http.MethodPost, dbscPath, url.Values{})
		switch {
		case on && (proof.StatusCode == http.StatusNotFound || proof.StatusCode < 400):
			t.Errorf("POST %s without a proof: %d, want the endpoint's refusal", dbscPath, proof.StatusCode)
		case !on && proof.StatusCode != http.StatusNotFound && proof.StatusCode != http.StatusMethodNotAllowed && proof.StatusCode != http.StatusForbidden:
			t.Errorf("dbsc off, POST %s: %d, want no endpoint", dbscPath, proof.StatusCode)
		}
		if on && s.mgr.Stats().DBSC.Refused == 0 {
			t.Error("the bogus registration was not counted as refused")
		}
	}
}
