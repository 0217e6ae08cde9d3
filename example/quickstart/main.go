package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/http"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	// keyring.Watch instead of Load picks up a rotated file without a restart.
	ring, err := keyring.Load("keyring.json")
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (create it with: sealctl keys init --keyring keyring.json)", err)
	}
	if err != nil {
		return err
	}
	store, err := revocation.Open("data/revocations", revocation.Config{}) // creates data/ (0700)
	if err != nil {
		return err
	}
	defer store.Close()

	// Cookies are Secure: browsers send them back only over HTTPS or to a
	// loopback address. For plain HTTP on another address, set
	// InsecureCookies: true, or sessions silently won't stick.
	mgr, err := sessions.New(sessions.Config{Keys: ring, Revoker: store})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request, *sessions.Session)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s, err := mgr.Session(r) // fails only without mgr.Handler around mux
			if err != nil {
				http.Error(w, "no session", http.StatusInternalServerError)
				return
			}
			h(w, r, s)
		})
	}
	handle("POST /login", func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		// ... check r.PostFormValue("username") and ("password") ...
		if err := s.Login(r.Context(), "alice"); err != nil { // new session ID, old one revoked
			http.Error(w, "login failed, try again", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	handle("GET /{$}", func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		visits := sessions.Get(s, "visits", 0) + 1
		if err := s.Set("visits", visits); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "hello %q, visit %d\n", s.UserID(), visits)
	})
	handle("POST /logout", func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		// The cookie copied before this line stops working everywhere. An
		// error means the revocation could not be recorded; a 5xx response
		// saves nothing, so the browser keeps its cookie and can retry.
		if err := s.Logout(r.Context()); err != nil {
			http.Error(w, "logout failed, try again", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	// The forms POST: CrossOriginProtection answers 403 to a POST that
	// another site's page makes the browser send.
	handler := http.NewCrossOriginProtection().Handler(mgr.Handler(mux))
	log.Print("listening on http://127.0.0.1:8080")
	return http.ListenAndServe("127.0.0.1:8080", handler) // a busy port, say
}
