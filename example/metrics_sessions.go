package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/sessions"
)

// sessionCounter is a counter read from Manager.Stats.
type sessionCounter struct {
	desc  *prometheus.Desc
	value func(sessions.Stats) uint64
}

func newSessionCounter(name, help string, value func(sessions.Stats) uint64) sessionCounter {
	return sessionCounter{prometheus.NewDesc(name, help, nil, nil), value}
}

// Session outcomes, from Manager.Stats. Each is a counter since start.
var (
	sessionCounters = []sessionCounter{
		newSessionCounter("sealed_sessions_opened_total", "Cookies that opened into a valid session.",
			func(st sessions.Stats) uint64 { return st.Opened }),
		newSessionCounter("sealed_sessions_new_total", "Fresh sessions: no cookie, or every cookie refused.",
			func(st sessions.Stats) uint64 { return st.New }),
		newSessionCounter("sealed_sessions_resealed_total", "Sessions re-sealed under the primary key after opening under another.",
			func(st sessions.Stats) uint64 { return st.Resealed }),
		newSessionCounter("sealed_sessions_saved_total", "Session cookies written.",
			func(st sessions.Stats) uint64 { return st.Saved }),
		newSessionCounter("sealed_sessions_deleted_total", "Session cookies deleted (flush, logout).",
			func(st sessions.Stats) uint64 { return st.Deleted }),
		newSessionCounter("sealed_sessions_too_large_total", "Saves refused because the session did not fit in a cookie.",
			func(st sessions.Stats) uint64 { return st.TooLarge }),
		newSessionCounter("sealed_sessions_revoker_errors_total", "Revocation list lookups that returned an error.",
			func(st sessions.Stats) uint64 { return st.RevokerErrors }),
	}
	descSessionsInvalid = prometheus.NewDesc("sealed_sessions_invalid_total",
		"Refused session cookies, by reason.", []string{"reason"}, nil)
)

func describeSessions(ch chan<- *prometheus.Desc) {
	for _, c := range sessionCounters {
		ch <- c.desc
	}
	ch <- descSessionsInvalid
}

func collectSessions(ch chan<- prometheus.Metric, m *sessions.Manager) {
	st := m.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, c := range sessionCounters {
		counter(c.desc, c.value(st))
	}
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
