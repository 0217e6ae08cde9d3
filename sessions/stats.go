package sessions

import (
	"log/slog"
	"net/http"
	"sync/atomic"
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
)

var reasonNames = [...]string{"ok", "malformed", "tampered", "expired", "revoked", "unknown key", "oversize", "wrong name", "revoker error"}

func (r reason) String() string { return reasonNames[r] }

// Stats is a snapshot of a Manager's counters since New.
type Stats struct {
	Opened        uint64 // cookies that opened into a valid session
	New           uint64 // fresh sessions (no cookie, or every cookie refused)
	Resealed      uint64 // sessions re-sealed under the primary key after opening under another
	Saved         uint64 // cookies written
	Deleted       uint64 // cookies deleted (after Flush, Logout, or an expiry set in the past)
	TooLarge      uint64 // saves refused because the session didn't fit in a cookie
	RevokerErrors uint64 // revocation list lookups that returned an error
	Invalid       InvalidStats
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
}

// Total returns the number of refused cookies.
func (s InvalidStats) Total() uint64 {
	return s.Malformed + s.Tampered + s.Expired + s.Revoked + s.UnknownKey + s.Oversize + s.WrongName + s.RevokerError
}

type counters struct {
	opened, created, resealed, saved, deleted, tooLarge, revokerErrors atomic.Uint64
	invalid                                                            [len(reasonNames)]atomic.Uint64
}

// Stats returns a snapshot of the Manager's counters.
func (m *Manager) Stats() Stats {
	c := &m.st
	return Stats{
		Opened:        c.opened.Load(),
		New:           c.created.Load(),
		Resealed:      c.resealed.Load(),
		Saved:         c.saved.Load(),
		Deleted:       c.deleted.Load(),
		TooLarge:      c.tooLarge.Load(),
		RevokerErrors: c.revokerErrors.Load(),
		Invalid: InvalidStats{
			Malformed:    c.invalid[reasonMalformed].Load(),
			Tampered:     c.invalid[reasonTampered].Load(),
			Expired:      c.invalid[reasonExpired].Load(),
			Revoked:      c.invalid[reasonRevoked].Load(),
			UnknownKey:   c.invalid[reasonUnknownKey].Load(),
			Oversize:     c.invalid[reasonOversize].Load(),
			WrongName:    c.invalid[reasonWrongName].Load(),
			RevokerError: c.invalid[reasonRevokerError].Load(),
		},
	}
}

// refused counts and logs a refused cookie, never its value.
func (m *Manager) refused(r *http.Request, why reason, n int) {
	m.st.invalid[why].Add(1)
	level := slog.LevelDebug
	switch why {
	case reasonTampered, reasonWrongName, reasonRevoked, reasonUnknownKey:
		level = slog.LevelInfo
	}
	m.cfg.Logger.LogAttrs(r.Context(), level, "sessions: cookie refused, starting a fresh session",
		slog.String("reason", why.String()), slog.String("cookie", m.cfg.CookieName), slog.Int("len", n))
}
