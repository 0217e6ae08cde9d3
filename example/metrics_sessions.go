package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/sessions"
)

// Session outcomes, from Manager.Stats. Each is a counter since start.
var (
	descSessionsOpened = prometheus.NewDesc("sealed_sessions_opened_total",
		"Cookies that opened into a valid session.", nil, nil)
	descSessionsNew = prometheus.NewDesc("sealed_sessions_new_total",
		"Fresh sessions: no cookie, or every cookie refused.", nil, nil)
	descSessionsResealed = prometheus.NewDesc("sealed_sessions_resealed_total",
		"Sessions re-sealed under the primary key after opening under another.", nil, nil)
	descSessionsSaved = prometheus.NewDesc("sealed_sessions_saved_total",
		"Session cookies written.", nil, nil)
	descSessionsDeleted = prometheus.NewDesc("sealed_sessions_deleted_total",
		"Session cookies deleted (flush, logout).", nil, nil)
	descSessionsTooLarge = prometheus.NewDesc("sealed_sessions_too_large_total",
		"Saves refused because the session did not fit in a cookie.", nil, nil)
	descSessionsRevokerErrors = prometheus.NewDesc("sealed_sessions_revoker_errors_total",
		"Revocation list lookups that returned an error.", nil, nil)
	descSessionsInvalid = prometheus.NewDesc("sealed_sessions_invalid_total",
		"Refused session cookies, by reason.", []string{"reason"}, nil)
)

func describeSessions(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessionsOpened, descSessionsNew, descSessionsResealed,
		descSessionsSaved, descSessionsDeleted, descSessionsTooLarge, descSessionsRevokerErrors, descSessionsInvalid} {
		ch <- d
	}
}

func collectSessions(ch chan<- prometheus.Metric, m *sessions.Manager) {
	st := m.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descSessionsOpened, st.Opened)
	counter(descSessionsNew, st.New)
	counter(descSessionsResealed, st.Resealed)
	counter(descSessionsSaved, st.Saved)
	counter(descSessionsDeleted, st.Deleted)
	counter(descSessionsTooLarge, st.TooLarge)
	counter(descSessionsRevokerErrors, st.RevokerErrors)
	in := st.Invalid
	for _, r := range []struct {
		reason string
		n      uint64
	}{
		{"malformed", in.Malformed},
		{"tampered", in.Tampered},
		{"expired", in.Expired},
		{"revoked", in.Revoked},
		{"unknown_key", in.UnknownKey},
		{"oversize", in.Oversize},
		{"wrong_name", in.WrongName},
		{"revoker_error", in.RevokerError},
	} {
		counter(descSessionsInvalid, r.n, r.reason)
	}
}
