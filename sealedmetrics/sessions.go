package sealedmetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

var (
	descOpened       = desc("sessions_opened_total", "Session cookies that opened into a valid session.")
	descNew          = desc("sessions_new_total", "Fresh sessions: the request had no session cookie, or every one was refused.")
	descSaved        = desc("sessions_saved_total", "Session cookies written.")
	descDeleted      = desc("sessions_deleted_total", "Session cookies deleted (flush, logout, an expiry set in the past).")
	descTooLarge     = desc("sessions_too_large_total", "Saves refused because the session did not fit in its cookie; the browser kept its previous cookie.")
	descResealed     = desc("sessions_resealed_total", "Sessions re-sealed under the primary key after opening under another key.")
	descRefused      = desc("sessions_refused_total", "Session cookies refused, by reason (malformed, tampered, expired, revoked, unknown_key, oversize, wrong_name, revoker_error, chunks, unbound); the request got a fresh session.", "reason")
	descRevErrs      = desc("sessions_revoker_errors_total", "Revocation list lookups that returned an error (fail closed refuses the cookie).")
	descInterrupted  = desc("sessions_interrupted_total", "Saves refused because another request revoked the session meanwhile (ErrSessionInterrupted).")
	descFlashDropped = desc("sessions_flash_dropped_total", "Flash messages dropped, oldest first, so that the session fit in its cookie.")
	descCacheHits    = desc("sessions_cache_hits_total", "Cookie values taken from the verified-value cache (no MAC check or decryption).")
	descCacheMisses  = desc("sessions_cache_misses_total", "Cookie values looked up in the verified-value cache and verified in full.")
	descDBSC         = desc("sessions_dbsc_total", "Device Bound Session Credentials work, by outcome: registered (a key bound to a session), refreshed (a bound cookie renewed), refused (a registration or refresh proof refused).", "outcome")
	descKeyOpens     = desc("sessions_key_opens_total", "Session cookies that opened into a valid session, by the ID of the key that sealed them; a key of the keyring whose count stays flat for the longest session lifetime is in no live cookie.", "key_id")
)

func sessionsPart(m *sessions.Manager, keys keyring.Source) part {
	return part{
		descs: []*prometheus.Desc{descOpened, descNew, descSaved, descDeleted, descTooLarge, descResealed, descRefused, descRevErrs,
			descInterrupted, descFlashDropped, descCacheHits, descCacheMisses, descDBSC, descKeyOpens},
		collect: func(ch chan<- prometheus.Metric) {
			st := m.Stats()
			counter(ch, descOpened, st.Opened)
			counter(ch, descNew, st.New)
			counter(ch, descSaved, st.Saved)
			counter(ch, descDeleted, st.Deleted)
			counter(ch, descTooLarge, st.TooLarge)
			counter(ch, descResealed, st.Resealed)
			counter(ch, descRevErrs, st.RevokerErrors)
			counter(ch, descInterrupted, st.Interrupted)
			counter(ch, descFlashDropped, st.FlashDropped)
			counter(ch, descCacheHits, st.CacheHits)
			counter(ch, descCacheMisses, st.CacheMisses)
			counter(ch, descDBSC, st.DBSC.Registered, "registered")
			counter(ch, descDBSC, st.DBSC.Refreshed, "refreshed")
			counter(ch, descDBSC, st.DBSC.Refused, "refused")
			for _, r := range refusals(st.Invalid) {
				counter(ch, descRefused, r.n, r.reason)
			}
			for id, n := range keyOpens(m, keys) {
				counter(ch, descKeyOpens, n, id)
			}
		},
	}
}

type refusal struct {
	reason string
	n      uint64
}

// refusals lists every reason, zero counts included, so that a rate over
// each exists from the first scrape.
func refusals(in sessions.InvalidStats) []refusal {
	return []refusal{
		{"malformed", in.Malformed},
		{"tampered", in.Tampered},
		{"expired", in.Expired},
		{"revoked", in.Revoked},
		{"unknown_key", in.UnknownKey},
		{"oversize", in.Oversize},
		{"wrong_name", in.WrongName},
		{"revoker_error", in.RevokerError},
		{"chunks", in.Chunks},
		{"unbound", in.Unbound},
	}
}

// keyOpens is Manager.KeyOpens with every key of the keyring in force,
// zero if it opened nothing: the zero is the signal.
func keyOpens(m *sessions.Manager, keys keyring.Source) map[string]uint64 {
	opens := m.KeyOpens()
	if keys == nil {
		return opens
	}
	if kr := keys.Keyring(); kr != nil {
		for _, k := range kr.Keys() {
			opens[k.ID] += 0
		}
	}
	return opens
}
