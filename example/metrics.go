package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry returns the private Prometheus registry behind GET /metrics:
// the site's own collector plus the Go runtime and process collectors.
func (s *Server) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&collector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

var (
	descRevocationEntries = prometheus.NewDesc("sealed_revocation_entries",
		"Entries in the revocation list, by scope (session IDs, users with a cut-off, global cut-off set or not).",
		[]string{"scope"}, nil)
	descRevocationDisk = prometheus.NewDesc("sealed_revocation_disk_bytes",
		"Size of the revocation list's Badger files.", nil, nil)
	descRevocationOutbox = prometheus.NewDesc("sealed_revocation_outbox_depth",
		"Local revocation events not yet acknowledged by NATS.", nil, nil)
	descKeys = prometheus.NewDesc("sealed_keyring_keys",
		"Keys in the keyring in force, by state (primary, enabled).",
		[]string{"state"}, nil)
	descReplHealthy = prometheus.NewDesc("sealed_replication_healthy",
		"1 when revocation replication is caught up and in contact with the stream.", nil, nil)
	descReplLag = prometheus.NewDesc("sealed_replication_lag_events",
		"Stream events known but not yet applied.", nil, nil)
)

// collector reads the live numbers at scrape time: nothing is copied on the
// request path.
type collector struct{ s *Server }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRevocationEntries
	ch <- descRevocationDisk
	ch <- descRevocationOutbox
	ch <- descKeys
	ch <- descReplHealthy
	ch <- descReplLag
	describeSessions(ch)
	describeLocal(ch)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	collectSessions(ch, s.mgr)
	collectLocal(ch, s)

	st := s.store.Stats()
	all := 0.0
	if !st.All.IsZero() {
		all = 1
	}
	ch <- prometheus.MustNewConstMetric(descRevocationEntries, prometheus.GaugeValue, float64(st.Sessions), "session")
	ch <- prometheus.MustNewConstMetric(descRevocationEntries, prometheus.GaugeValue, float64(st.Users), "user")
	ch <- prometheus.MustNewConstMetric(descRevocationEntries, prometheus.GaugeValue, all, "all")
	ch <- prometheus.MustNewConstMetric(descRevocationDisk, prometheus.GaugeValue, float64(st.DiskBytes))
	ch <- prometheus.MustNewConstMetric(descRevocationOutbox, prometheus.GaugeValue, float64(st.OutboxDepth))

	byState := map[string]int{"primary": 0, "enabled": 0}
	for _, k := range s.keys.Keyring().Keys() {
		byState[string(k.State)]++
	}
	for state, n := range byState {
		ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(n), state)
	}

	if s.repl != nil {
		h := s.repl.Health()
		healthy := 0.0
		if h.Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(descReplHealthy, prometheus.GaugeValue, healthy)
		ch <- prometheus.MustNewConstMetric(descReplLag, prometheus.GaugeValue, float64(h.Lag))
	}
}
