package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/sessions"
)

// TestChangeNotSavedIsNotConfirmed: a change the session could not keep
// is told to the user, not confirmed with a redirect and a flash.
func TestChangeNotSavedIsNotConfirmed(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	wantRedirect(t, "add mug", c.PostForm("/cart/add", url.Values{"product": {"mug"}}), "/cart")
	c.Get("/cart") // read the flash

	// addTea runs POST /cart/add for tea with c's cookie through the site,
	// after meanwhile ran on the session the request loaded.
	addTea := func(meanwhile func(sess *sessions.Session)) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/cart/add", strings.NewReader("product=tea&qty=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(c.Cookie(sessions.DefaultCookieName))
		r, sess := s.mgr.Load(req)
		meanwhile(sess)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		return rec
	}
	check := func(t *testing.T, rec *httptest.ResponseRecorder, status int, msg string) {
		t.Helper()
		if rec.Code != status || !strings.Contains(rec.Body.String(), msg) {
			t.Errorf("status %d, body:\n%s\nwant %d saying %q", rec.Code, rec.Body, status, msg)
		}
		if strings.Contains(rec.Body.String(), "Added") {
			t.Error("the change was confirmed")
		}
		for _, line := range rec.Result().Header.Values("Set-Cookie") {
			if strings.HasPrefix(line, sessions.DefaultCookieName+"=") {
				t.Errorf("a change not saved wrote %q", line)
			}
		}
	}

	t.Run("session too large", func(t *testing.T) {
		rec := addTea(func(sess *sessions.Session) {
			if err := sess.Set("filler", strings.Repeat("x", 3900)); err != nil {
				t.Fatal(err)
			}
		})
		check(t, rec, http.StatusInternalServerError, "Your session is full, so this change was not saved.")
		if cart := apiSession(t, c).Cart; cart["tea"] != 0 || cart["mug"] != 1 {
			t.Errorf("cart %v, want the one before: mug:1", cart)
		}
	})
	t.Run("session ended in another window", func(t *testing.T) {
		rec := addTea(func(*sessions.Session) {
			if err := s.mgr.RevokeUser(context.Background(), "alice"); err != nil {
				t.Fatal(err)
			}
		})
		check(t, rec, http.StatusBadRequest, "Your session was ended in another window")
		if v := apiSession(t, c); v.Authenticated || v.Cart["tea"] != 0 {
			t.Errorf("session after the interrupted change: %+v", v)
		}
	})
}

// TestCartFlashFlood: a hundred and fifty cart POSTs without a page
// between them still save every change: the oldest confirmations go
// first, as in Django's cookie message storage.
func TestCartFlashFlood(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	const posts = 150
	for i := range posts {
		p := catalogue[i%len(catalogue)]
		wantRedirect(t, fmt.Sprintf("add %d", i), c.PostForm("/cart/add", url.Values{"product": {p.ID}}), "/cart")
	}
	total := 0
	for _, n := range apiSession(t, c).Cart {
		total += n
	}
	if total != posts {
		t.Errorf("%d items in the cart, want %d: a change was lost", total, posts)
	}
	if st := s.mgr.Stats(); st.TooLarge != 0 || st.FlashDropped == 0 {
		t.Errorf("stats %+v: want flashes dropped, no save refused", st)
	}
	last := catalogue[(posts-1)%len(catalogue)]
	wantBody(t, "cart after the flood", c.Get("/cart"), "Added 1 × "+last.Name+" to your cart.")
}
