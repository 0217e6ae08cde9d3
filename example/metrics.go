package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sealedsessions/sealed/revocation/natsrepl"
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
		"Keys in the keyring in force, by use: seal (the primary, which seals new cookies) and open (every key that opens cookies, the primary included).",
		[]string{"use"}, nil)
	descReplHealthy = prometheus.NewDesc("sealed_replication_healthy",
		"1 when revocation replication is caught up and in contact with the stream.", nil, nil)
	descReplLag = prometheus.NewDesc("sealed_replication_lag_events",
		"Stream events known but not yet applied.", nil, nil)
	descReplRejected = prometheus.NewDesc("sealed_replication_rejected_events_total",
		"Stream events dropped because they did not verify under the keyring (forged, or signed with a key this ring lacks).", nil, nil)
	descReplRepublished = prometheus.NewDesc("sealed_replication_republished_total",
		"Live entries this instance re-published after finding the stream lost.", nil, nil)
	descReplOutboxAge = prometheus.NewDesc("sealed_replication_outbox_oldest_age_seconds",
		"How long the oldest local revocation not yet acknowledged by NATS has waited.", nil, nil)
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
	ch <- descReplRejected
	ch <- descReplRepublished
	ch <- descReplOutboxAge
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

	// By use rather than by state: a keyring of one key is 1 and 1, where
	// "enabled 0" read like a fault.
	ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, 1, "seal")
	ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(len(s.keys.Keyring().Keys())), "open")

	if s.repl != nil {
		collectReplication(ch, s.repl.Health())
	}
}

// collectReplication reports the replica's health.
func collectReplication(ch chan<- prometheus.Metric, h natsrepl.Health) {
	healthy := 0.0
	if h.Healthy {
		healthy = 1
	}
	ch <- prometheus.MustNewConstMetric(descReplHealthy, prometheus.GaugeValue, healthy)
	ch <- prometheus.MustNewConstMetric(descReplLag, prometheus.GaugeValue, float64(h.Lag))
	ch <- prometheus.MustNewConstMetric(descReplRejected, prometheus.CounterValue, float64(h.RejectedEvents))
	ch <- prometheus.MustNewConstMetric(descReplRepublished, prometheus.CounterValue, float64(h.Republished))
	ch <- prometheus.MustNewConstMetric(descReplOutboxAge, prometheus.GaugeValue, h.OutboxOldestAge.Seconds())
}
