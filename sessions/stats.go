package sessions

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/sealedsessions/sealed/internal/lograte"
)

// reason classifies a refused cookie.
type reason int

const (
	reasonOK reason = iota
	reasonMalformed
	reasonTampered
	reasonExpired
	reasonRevoked
	reasonUnknownKey
	reasonOversize
	reasonWrongName
	reasonRevokerError
	reasonChunks
	reasonUnbound
)

var reasonNames = [...]string{"ok", "malformed", "tampered", "expired", "revoked", "unknown key", "oversize", "wrong name", "revoker error", "chunks", "unbound"}

func (r reason) String() string { return reasonNames[r] }

// Stats is a snapshot of a Manager's counters since New.
type Stats struct {
	Opened        uint64 // cookies that opened into a valid session
	New           uint64 // fresh sessions (no cookie, or every cookie refused)
	Resealed      uint64 // sessions re-sealed under the primary key after opening under another
	Saved         uint64 // cookies written
	Deleted       uint64 // cookies deleted (after Flush, Logout, an expiry set in the past, or a refused cookie)
	TooLarge      uint64 // saves refused because the session didn't fit in a cookie
	RevokerErrors uint64 // revocation list lookups that returned an error
	Interrupted   uint64 // saves refused because the session was revoked meanwhile (ErrSessionInterrupted)
	FlashDropped  uint64 // flash messages dropped, oldest first, so the session fit in its cookie
	CacheHits     uint64 // cookie values taken from the verified-value cache (no MAC or decryption)
	CacheMisses   uint64 // cookie values looked up in that cache and verified in full
	Invalid       InvalidStats
	DBSC          DBSCStats
}

// DBSCStats counts Device Bound Session Credentials events.
type DBSCStats struct {
	Registered uint64 // sessions bound to a device key
	Refreshed  uint64 // bound cookies renewed on a signed proof
	Refused    uint64 // proofs refused: bad signature, another key, a dead or replayed challenge, a session already bound
}

// InvalidStats counts refused cookies by reason.
type InvalidStats struct {
	Malformed    uint64 // not a sealed value, or a payload that doesn't decode
	Tampered     uint64 // MAC does not verify
	Expired      uint64 // idle, custom or absolute expiry passed, or the keyring's max age
	Revoked      uint64 // on the revocation list
	UnknownKey   uint64 // sealed under a key not in the keyring (retired, or forged ID)
	Oversize     uint64 // longer than a cookie can be
	WrongName    uint64 // sealed for another cookie name
	RevokerError uint64 // refused because the revocation list failed (fail closed)
	Chunks       uint64 // a session over several cookies with one missing or extra (Config.MaxCookies)
	Unbound      uint64 // a device-bound session without a live bound cookie (DBSC)
}

// Total returns the number of refused cookies.
func (s InvalidStats) Total() uint64 {
	return s.Malformed + s.Tampered + s.Expired + s.Revoked + s.UnknownKey + s.Oversize + s.WrongName + s.RevokerError + s.Chunks + s.Unbound
}

type counters struct {
	opened, created, resealed, saved, deleted, tooLarge, revokerErrors atomic.Uint64
	interrupted, flashDropped                                          atomic.Uint64
	dbscRegistered, dbscRefreshed, dbscRefused                         atomic.Uint64
	invalid                                                            [len(reasonNames)]atomic.Uint64
	warn                                                               [len(reasonNames)]lograte.Limit
}

// Stats returns a snapshot of the Manager's counters.
func (m *Manager) Stats() Stats {
	c := &m.st
	st := m.counts(c)
	if m.cache != nil {
		st.CacheHits, st.CacheMisses = m.cache.hits.Load(), m.cache.misses.Load()
	}
	return st
}

func (m *Manager) counts(c *counters) Stats {
	return Stats{
		Opened:        c.opened.Load(),
		New:           c.created.Load(),
		Resealed:      c.resealed.Load(),
		Saved:         c.saved.Load(),
		Deleted:       c.deleted.Load(),
		TooLarge:      c.tooLarge.Load(),
		RevokerErrors: c.revokerErrors.Load(),
		Interrupted:   c.interrupted.Load(),
		FlashDropped:  c.flashDropped.Load(),
		Invalid: InvalidStats{
			Malformed:    c.invalid[reasonMalformed].Load(),
			Tampered:     c.invalid[reasonTampered].Load(),
			Expired:      c.invalid[reasonExpired].Load(),
			Revoked:      c.invalid[reasonRevoked].Load(),
			UnknownKey:   c.invalid[reasonUnknownKey].Load(),
			Oversize:     c.invalid[reasonOversize].Load(),
			WrongName:    c.invalid[reasonWrongName].Load(),
			RevokerError: c.invalid[reasonRevokerError].Load(),
			Chunks:       c.invalid[reasonChunks].Load(),
			Unbound:      c.invalid[reasonUnbound].Load(),
		},
		DBSC: DBSCStats{
			Registered: c.dbscRegistered.Load(),
			Refreshed:  c.dbscRefreshed.Load(),
			Refused:    c.dbscRefused.Load(),
		},
	}
}

// refused counts and logs a refused cookie, never its value. A cookie that
// only an attacker makes (a bad MAC, another cookie's value, a key ID the
// keyring never had or has retired) is a security event, as Django's
// SuspiciousSession: it is logged at Warn with the reason and the key ID
// the cookie names, at most one line per reason per second, the next line
// saying how many were suppressed. Every refusal is counted exactly.
func (m *Manager) refused(r *http.Request, why reason, keyID string, n int) {
	m.st.invalid[why].Add(1)
	level := slog.LevelDebug
	switch why {
	case reasonTampered, reasonWrongName, reasonUnknownKey:
		level = slog.LevelWarn
	case reasonRevoked:
		level = slog.LevelInfo
	}
	ctx := r.Context()
	if level < slog.LevelWarn {
		m.cfg.Logger.LogAttrs(ctx, level, "sessions: cookie refused, starting a fresh session",
			slog.String("reason", why.String()), slog.String("cookie", m.cfg.CookieName), slog.Int("len", n))
		return
	}
	if !m.cfg.Logger.Enabled(ctx, level) {
		return
	}
	ok, suppressed := m.st.warn[why].Allow(m.now().UnixNano())
	if !ok {
		return
	}
	m.cfg.Logger.LogAttrs(ctx, level, "sessions: forged or tampered cookie refused, starting a fresh session",
		slog.String("reason", why.String()), slog.String("cookie", m.cfg.CookieName),
		slog.String("key_id", keyID), slog.Int("len", n), slog.Uint64("suppressed", suppressed))
}
