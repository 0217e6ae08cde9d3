package main

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSignup(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()

	// Later steps send you back to the first missing one.
	wantRedirect(t, "GET /signup/2 first", c.Get("/signup/2"), "/signup/1")
	wantRedirect(t, "GET /signup/3 first", c.Get("/signup/3"), "/signup/1")
	wantRedirect(t, "GET /signup/done first", c.Get("/signup/done"), "/signup/1")
	wantRedirect(t, "POST /signup/2 first", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/1")

	// A validation error keeps what was typed.
	resp := c.PostForm("/signup/1", url.Values{"name": {"Ada Lovelace"}, "email": {"not-an-address"}})
	wantStatus(t, "bad email", resp, http.StatusUnprocessableEntity)
	wantBody(t, "bad email", resp, `value="Ada Lovelace"`, `value="not-an-address"`, `id="email-error"`)
	resp = c.PostForm("/signup/1", url.Values{"name": {"  "}, "email": {"ada@example.com"}})
	wantStatus(t, "no name", resp, http.StatusUnprocessableEntity)
	wantBody(t, "no name", resp, `value="ada@example.com"`, `id="name-error"`)

	wantRedirect(t, "step 1", c.PostForm("/signup/1", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}), "/signup/2")
	wantRedirect(t, "step 3 before 2", c.Get("/signup/3"), "/signup/2")

	resp = c.PostForm("/signup/2", url.Values{"plan": {"platinum"}})
	wantStatus(t, "bad plan", resp, http.StatusUnprocessableEntity)
	wantBody(t, "bad plan", resp, `id="plan-error"`)
	wantRedirect(t, "step 2", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/3")

	// Going back shows the earlier answers.
	wantBody(t, "back to step 1", c.Get("/signup/1"), `value="Ada Lovelace"`, `value="ada@example.com"`)
	wantBody(t, "back to step 2", c.Get("/signup/2"), `value="pro" checked`)
	wantBody(t, "step 3 summary", c.Get("/signup/3"), `id="sum-name">Ada Lovelace<`, `id="sum-plan">Pro<`)

	resp = c.PostForm("/signup/3", url.Values{})
	wantStatus(t, "no confirm", resp, http.StatusUnprocessableEntity)
	wantBody(t, "no confirm", resp, `id="confirm-error"`)
	wantRedirect(t, "done not yet", c.Get("/signup/done"), "/signup/3")

	wantRedirect(t, "step 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	done := c.Get("/signup/done")
	wantStatus(t, "done", done, http.StatusOK)
	wantBody(t, "done", done, "Welcome aboard, Ada Lovelace!", "You are signed up for the Pro plan. We will write to ada@example.com.")

	v := apiSession(t, c).Signup
	if v["name"] != "Ada Lovelace" || v["email"] != "ada@example.com" || v["plan"] != "pro" || v["confirm"] != "yes" {
		t.Errorf("signup in the session: %v", v)
	}

	// Changing an earlier answer re-opens the form.
	wantRedirect(t, "change plan", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	wantRedirect(t, "done after change", c.Get("/signup/done"), "/signup/3")
	wantRedirect(t, "reset", c.PostForm("/signup/reset", nil), "/signup/1")
	if v := apiSession(t, c).Signup; len(v) != 0 {
		t.Errorf("signup after reset: %v", v)
	}
}
