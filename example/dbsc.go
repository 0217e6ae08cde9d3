package main

import (
	"flag"
	"net/http"

	"github.com/sealedsessions/sealed/sessions"
)

// Device Bound Session Credentials (--dbsc): after login a browser with
// DBSC (Chrome; on Linux behind --enable-features=DeviceBoundSessions)
// binds the session to a key pair of the device, and from then on the
// session is served only with a short-lived bound cookie that only that
// key can renew. The registration and refresh endpoint is /dbsc, served
// outside the session middleware (sessions.Manager.DBSCHandler).

// dbscPath is where the example mounts the DBSC endpoint.
const dbscPath = "/dbsc"

func addDBSCFlag(fs *flag.FlagSet, cfg *Config) {
	fs.BoolVar(&cfg.DBSC, "dbsc", false, "offer Device Bound Session Credentials after login (browsers with DBSC bind the session to the device; others are unaffected)")
}

// deviceBound is the sessions setting for cfg: nil unless DBSC is on.
func (cfg Config) deviceBound() *sessions.DeviceBound {
	if !cfg.DBSC {
		return nil
	}
	return &sessions.DeviceBound{Path: dbscPath, CookieAge: cfg.DBSCCookieAge}
}

// withDBSC routes dbscPath to the Manager's DBSC endpoint, ahead of the
// site's router and its session middleware, when DBSC is on.
func (s *Server) withDBSC(site http.Handler) http.Handler {
	if !s.cfg.DBSC {
		return site
	}
	dbsc := s.mgr.DBSCHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == dbscPath {
			dbsc.ServeHTTP(w, r)
			return
		}
		site.ServeHTTP(w, r)
	})
}
