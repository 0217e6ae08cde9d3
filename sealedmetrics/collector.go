package sealedmetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
	"github.com/sealedsessions/sealed/sessions"
)

// Config names the components to report on. Each may be nil: its metrics
// are then left out.
type Config struct {
	// Sessions gives the sealed_sessions_ metrics.
	Sessions *sessions.Manager
	// Keys gives the sealed_keyring_ metrics; a *keyring.Watcher also
	// gives the reload metrics.
	Keys keyring.Source
	// Revocation gives the sealed_revocation_ metrics.
	Revocation *revocation.Store
	// Replicator gives the sealed_replication_ metrics.
	Replicator *natsrepl.Replicator
}

// Collector is a prometheus.Collector of the components in its Config. It
// reads their Stats, Health and Status when scraped, so it costs nothing
// per request. Register it with a prometheus.Registerer; safe for
// concurrent scrapes.
type Collector struct {
	parts []part
}

// part is the metrics of one component.
type part struct {
	descs   []*prometheus.Desc
	collect func(ch chan<- prometheus.Metric)
}

// New returns a Collector for the components in cfg.
func New(cfg Config) *Collector {
	c := &Collector{}
	if cfg.Sessions != nil {
		c.parts = append(c.parts, sessionsPart(cfg.Sessions, cfg.Keys))
	}
	if cfg.Keys != nil {
		c.parts = append(c.parts, keyringPart(cfg.Keys))
	}
	if cfg.Revocation != nil {
		c.parts = append(c.parts, revocationPart(cfg.Revocation))
	}
	if cfg.Replicator != nil {
		c.parts = append(c.parts, replicationPart(cfg.Replicator))
	}
	return c
}

// Describe sends the descriptions of every metric the Collector gives.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, p := range c.parts {
		for _, d := range p.descs {
			ch <- d
		}
	}
}

// Collect sends the current value of every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.parts {
		p.collect(ch)
	}
}

// desc makes the description of a sealed_ metric.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("sealed_"+name, help, labels, nil)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// histogram sends a latency histogram in seconds.
func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, s revocation.LatencySnapshot) {
	buckets := make(map[float64]uint64, len(s.Bounds))
	for i, b := range s.Bounds {
		buckets[b.Seconds()] = s.Cumulative[i]
	}
	ch <- prometheus.MustNewConstHistogram(d, s.Count, s.Sum.Seconds(), buckets)
}
