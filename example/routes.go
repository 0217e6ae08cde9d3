package main

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The router: every route in one place, the security headers every
// response carries, and the static files.

//go:embed static
var staticFS embed.FS

// routes builds the router. Every route runs behind cross-origin protection
// (unsafe methods from another origin get 403) and the session middleware.
func (s *Server) routes() {
	r := mux.NewRouter()
	r.NotFoundHandler = s.mgr.Handler(http.HandlerFunc(s.notFound))
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	r.Use(cop.Handler)
	r.Use(s.mgr.Handler)

	r.PathPrefix("/static/").Handler(http.StripPrefix("/static/", staticHandler()))
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)

	r.HandleFunc("/", s.home).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/login", s.loginForm).Methods(http.MethodGet)
	r.HandleFunc("/login", s.withForm(s.login)).Methods(http.MethodPost)
	r.HandleFunc("/logout", s.withSession(s.logout)).Methods(http.MethodPost)
	r.HandleFunc("/logout-everywhere", s.withSession(s.logoutEverywhere)).Methods(http.MethodPost)

	cart := r.PathPrefix("/cart").Subrouter()
	cart.HandleFunc("", s.withSession(s.cartPage)).Methods(http.MethodGet)
	cart.HandleFunc("/add", s.withForm(s.cartAdd)).Methods(http.MethodPost)
	cart.HandleFunc("/remove", s.withForm(s.cartRemove)).Methods(http.MethodPost)
	cart.HandleFunc("/checkout", s.withSession(s.cartCheckout)).Methods(http.MethodPost)

	signup := r.PathPrefix("/signup").Subrouter()
	signup.HandleFunc("/{step:[123]}", s.withSession(s.signupForm)).Methods(http.MethodGet)
	signup.HandleFunc("/{step:[123]}", s.withForm(s.signupSubmit)).Methods(http.MethodPost)
	signup.HandleFunc("/done", s.withSession(s.signupDone)).Methods(http.MethodGet)
	signup.HandleFunc("/reset", s.withSession(s.signupReset)).Methods(http.MethodPost)

	r.HandleFunc("/search", s.withSession(s.search)).Methods(http.MethodGet)
	r.HandleFunc("/preferences", s.withSession(s.preferencesForm)).Methods(http.MethodGet)
	r.HandleFunc("/preferences", s.withForm(s.preferences)).Methods(http.MethodPost)
	r.HandleFunc("/session", s.withSession(s.sessionPage)).Methods(http.MethodGet)
	r.HandleFunc("/api/session", s.withSession(s.sessionAPI)).Methods(http.MethodGet)

	admin := r.PathPrefix("/admin").Subrouter()
	admin.HandleFunc("", s.withSession(s.adminOnly(s.adminPage))).Methods(http.MethodGet)
	admin.HandleFunc("/revoke-user", s.withForm(s.adminOnly(s.adminRevokeUser))).Methods(http.MethodPost)

	s.router = r
	// The headers wrap the whole router, not r.Use: mux runs r.Use
	// middleware only on a matched route, so 404, 405, its clean-path
	// redirects and the cross-origin 403 would go out without them.
	s.handler = securityHeaders(r)
}

// contentSecurityPolicy allows the site's own stylesheet and nothing else:
// no scripts at all, no plugins, no <base>, forms only to this origin, and
// no framing by anyone.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets headers every response should carry. Pages are
// personal (the user's name, cart, session), so they are not stored by any
// cache; the static handler overrides Cache-Control for its files.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			// Files only: no directory listings.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
