package main

import (
	"net/http"
	"net/url"
	"testing"
)

func TestAdminRevokeUser(t *testing.T) {
	s := newSite(t, nil)
	admin, bob, guest := s.client(), s.client(), s.client()
	login(t, admin, "alice", "alice-password")
	login(t, bob, "bob", "bob-password")

	wantRedirect(t, "guest", guest.PostForm("/admin/revoke-user", url.Values{"username": {"bob"}}), "/login")
	wantRedirect(t, "guest GET /admin", guest.Get("/admin"), "/login")
	resp := bob.PostForm("/admin/revoke-user", url.Values{"username": {"alice"}})
	wantStatus(t, "non-admin", resp, http.StatusForbidden)
	wantBody(t, "non-admin", resp, "Only administrators")
	wantStatus(t, "non-admin GET /admin", bob.Get("/admin"), http.StatusForbidden)
	if got := greeting(t, admin); got != "Hello, alice" {
		t.Fatalf("bob's refused attempt affected alice: %q", got)
	}

	wantStatus(t, "GET /admin", admin.Get("/admin"), http.StatusOK)
	resp = admin.PostForm("/admin/revoke-user", url.Values{"username": {"nobody"}})
	wantStatus(t, "unknown user", resp, http.StatusBadRequest)
	wantBody(t, "unknown user", resp, "There is no user &#34;nobody&#34;.")
	resp = admin.PostForm("/admin/revoke-user", url.Values{"username": {""}})
	wantStatus(t, "no user", resp, http.StatusBadRequest)
	wantBody(t, "no user", resp, `role="alert">Please choose a user to log out.<`)

	wantRedirect(t, "revoke bob", admin.PostForm("/admin/revoke-user", url.Values{"username": {"bob"}}), "/admin")
	wantBody(t, "admin flash", admin.Get("/admin"), "Every session of bob has been logged out.")
	if got := greeting(t, bob); got != "Hello, Guest" {
		t.Errorf("bob after admin revoke: %q, want Hello, Guest", got)
	}
	if got := greeting(t, admin); got != "Hello, alice" {
		t.Errorf("alice after revoking bob: %q", got)
	}
}
