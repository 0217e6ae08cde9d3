package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sealedsessions/sealed/revocation/natsrepl"
	"github.com/sealedsessions/sealed/sealedmetrics"
)

// newRegistry returns the private Prometheus registry behind GET /metrics:
// sealedmetrics' collector of the site's sessions, keyring, revocation
// store and replicator (read at scrape time), plus the Go runtime and
// process collectors.
func (s *Server) newRegistry() *prometheus.Registry {
	cfg := sealedmetrics.Config{Sessions: s.mgr, Keys: s.keys, Revocation: s.store}
	if r, ok := s.repl.(*natsrepl.Replicator); ok {
		cfg.Replicator = r
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		sealedmetrics.New(cfg),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}
