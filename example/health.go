package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// healthReport is GET /healthz's body.
type healthReport struct {
	Status      string           `json:"status"` // "ok", "degraded" (200) or "unhealthy" (503)
	Revocation  revocationHealth `json:"revocation"`
	Replication *natsrepl.Health `json:"replication,omitempty"` // with --nats only
	Keyring     keyringHealth    `json:"keyring"`
	Reasons     []string         `json:"reasons,omitempty"` // why unhealthy, when it is for the disk or the keyring file
	Time        time.Time        `json:"time"`
}

type revocationHealth struct {
	OK    bool             `json:"ok"`
	Error string           `json:"error,omitempty"`
	Stats revocation.Stats `json:"stats"`
	Disk  diskHealth       `json:"disk"`
}

// healthz reports whether the revocation list can answer (and, with
// --nats, whether the replica vouches for it): 200 when it does ("ok", or
// "degraded" while revocations wait to be published or the consumer
// restarts, so a load balancer keeps the instance), 503 when not (the
// list can't answer, the replica is stale or has not caught up since it
// started), with the details as JSON either way.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	rep := s.health()
	status := http.StatusOK
	if rep.Status == "unhealthy" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, status, rep)
}

// health takes the snapshot /healthz reports.
func (s *Server) health() healthReport {
	rep := healthReport{Status: "ok", Time: s.now().UTC()}
	// A probe on the request path's own check: if the store can't answer
	// this, sessions are being refused (fail closed).
	_, err := s.store.Revoked([16]byte{}, "", s.now())
	rep.Revocation = revocationHealth{OK: err == nil, Stats: s.store.Stats()}
	if err != nil {
		rep.Revocation.Error = publicStoreError(err)
		rep.Status = "unhealthy"
	}
	if s.repl != nil {
		h := s.repl.Health()
		rep.Replication = &h
		switch {
		case !h.Serving():
			rep.Status = "unhealthy"
		case h.State == natsrepl.StateDegraded && rep.Status == "ok":
			rep.Status = "degraded"
		}
	}
	s.checkDisk(&rep)
	s.checkKeyring(&rep)
	return rep
}

// publicStoreError is what /healthz says about a store that can't answer:
// the sentinel only. The full error names the data directory and Badger's
// failure; the store logs it when it fails, and /healthz is often public.
func publicStoreError(err error) string {
	for _, e := range []error{revocation.ErrClosed, revocation.ErrFailed} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "revocation: store unavailable"
}
