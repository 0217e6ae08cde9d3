package main

import "github.com/prometheus/client_golang/prometheus"

// The metrics of this machine's disk and keyring file (see health_local.go).
var (
	descDiskFree = prometheus.NewDesc("sealed_revocation_disk_free_bytes",
		"Free space on the revocation store's filesystem (-1 where unknown).", nil, nil)
	descDiskReserve = prometheus.NewDesc("sealed_revocation_disk_reserve_bytes",
		"Free space below which the revocation store refuses writes.", nil, nil)
	descWritesRefused = prometheus.NewDesc("sealed_revocation_writes_refused",
		"1 while the revocation store refuses writes for lack of disk space.", nil, nil)
	descKeyringStale = prometheus.NewDesc("sealed_keyring_reload_stale",
		"1 while the keyring file holds a change this instance can't load.", nil, nil)
	descKeyringFailures = prometheus.NewDesc("sealed_keyring_reload_failures_total",
		"Failed checks of the keyring file since start.", nil, nil)
)

func describeLocal(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDiskFree, descDiskReserve, descWritesRefused, descKeyringStale, descKeyringFailures} {
		ch <- d
	}
}

func collectLocal(ch chan<- prometheus.Metric, s *Server) {
	d := s.store.Disk()
	ch <- prometheus.MustNewConstMetric(descDiskFree, prometheus.GaugeValue, float64(d.Free))
	ch <- prometheus.MustNewConstMetric(descDiskReserve, prometheus.GaugeValue, float64(d.Reserve))
	ch <- prometheus.MustNewConstMetric(descWritesRefused, prometheus.GaugeValue, boolGauge(d.Refused != nil))
	st := s.keys.Status()
	ch <- prometheus.MustNewConstMetric(descKeyringStale, prometheus.GaugeValue, boolGauge(st.Stale))
	ch <- prometheus.MustNewConstMetric(descKeyringFailures, prometheus.CounterValue, float64(st.FailuresTotal))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
