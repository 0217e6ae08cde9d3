package main

import (
	"embed"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The router: every route in one place, the security headers every
// response carries, and the static files.

//go:embed static
var staticFS embed.FS

// endpoint is one path of the site and the handler for each method it
// answers.
type endpoint struct {
	path     string // a mux path template, or with prefix a path prefix
	prefix   bool
	handlers map[string]http.Handler
}

// get, post and getPost build an endpoint's handlers.
func get(h http.Handler) map[string]http.Handler  { return map[string]http.Handler{http.MethodGet: h} }
func post(h http.Handler) map[string]http.Handler { return map[string]http.Handler{http.MethodPost: h} }
func getPost(g, p http.Handler) map[string]http.Handler {
	return map[string]http.Handler{http.MethodGet: g, http.MethodPost: p}
}

// endpoints lists every route of the site. A path answers each of its
// methods (HEAD wherever GET) and every other method with 405.
func (s *Server) endpoints() []endpoint {
	hf := func(f http.HandlerFunc) http.Handler { return f }
	ops := []endpoint{
		{path: "/healthz", handlers: get(hf(s.healthz))},
		{path: "/metrics", handlers: get(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))},
	}
	if s.cfg.AdminAddr != "" {
		ops = nil // on their own listener (listen.go)
	}
	return append(ops, []endpoint{
		{path: "/static/", prefix: true, handlers: get(http.StripPrefix("/static/", staticHandler()))},
		{path: "/", handlers: get(hf(s.home))},
		{path: "/login", handlers: getPost(hf(s.loginForm), s.withForm(s.login))},
		{path: "/logout", handlers: post(s.withSession(s.logout))},
		{path: "/logout-everywhere", handlers: post(s.withSession(s.logoutEverywhere))},

		{path: "/cart", handlers: get(s.withSession(s.cartPage))},
		{path: "/cart/add", handlers: post(s.withForm(s.cartAdd))},
		{path: "/cart/remove", handlers: post(s.withForm(s.cartRemove))},
		{path: "/cart/checkout", handlers: post(s.withSession(s.cartCheckout))},

		{path: "/signup/{step:[123]}", handlers: getPost(s.withSession(s.signupForm), s.withForm(s.signupSubmit))},
		{path: "/signup/done", handlers: get(s.withSession(s.signupDone))},
		{path: "/signup/reset", handlers: post(s.withSession(s.signupReset))},

		{path: "/search", handlers: get(s.withSession(s.search))},
		{path: "/preferences", handlers: getPost(s.withSession(s.preferencesForm), s.withForm(s.preferences))},
		{path: "/session", handlers: get(s.withSession(s.sessionPage))},
		{path: "/api/session", handlers: get(s.withSession(s.sessionAPI))},
		{path: "/account/sessions", handlers: get(s.withSession(s.accountSessionsPage))},
		{path: "/api/account/sessions", handlers: get(s.withSession(s.accountSessionsAPI))},
		{path: "/account/sessions/revoke", handlers: post(s.withForm(s.accountSessionRevoke))},
		{path: "/account/sessions/revoke-others", handlers: post(s.withForm(s.accountSessionsRevokeOthers))},

		{path: "/admin", handlers: get(s.withSession(s.adminOnly(s.adminPage)))},
		{path: "/admin/revoke-user", handlers: post(s.withForm(s.adminOnly(s.adminRevokeUser)))},
	}...)
}

// routes builds the router. Every route runs behind cross-origin protection
// (unsafe methods from another origin get 403) and the session middleware.
func (s *Server) routes() {
	r := mux.NewRouter()
	r.NotFoundHandler = s.mgr.Handler(http.HandlerFunc(s.notFound))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	r.Use(cop.Handler)
	r.Use(s.mgr.Handler)

	// Routes match on the path alone and choose the handler by method
	// themselves: mux's own method matching answers 404 or 405 depending
	// on route order, and its 405 is plain text.
	for _, e := range s.endpoints() {
		h := s.byMethod(e.handlers)
		if e.prefix {
			r.PathPrefix(e.path).Handler(h)
		} else {
			r.Handle(e.path, h)
		}
	}

	s.router = r
	// The headers wrap the whole router, not r.Use: mux runs r.Use
	// middleware only on a matched route, so 404, its clean-path
	// redirects and the cross-origin 403 would go out without them.
	s.handler = securityHeaders(s.withDBSC(r))
}

// allowed returns the methods handlers answers, HEAD included wherever GET
// is, sorted as the Allow header lists them.
func allowed(handlers map[string]http.Handler) []string {
	m := slices.Collect(maps.Keys(handlers))
	if _, ok := handlers[http.MethodGet]; ok && !slices.Contains(m, http.MethodHead) {
		m = append(m, http.MethodHead)
	}
	slices.Sort(m)
	return m
}

// byMethod dispatches on the request's method; any other method gets the
// site's 405 page with an Allow header.
func (s *Server) byMethod(handlers map[string]http.Handler) http.Handler {
	allow := strings.Join(allowed(handlers), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := handlers[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = handlers[http.MethodGet] // net/http drops the body
		}
		if ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		s.methodNotAllowed(w, r, allow)
	})
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
