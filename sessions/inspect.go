package sessions

import (
	"encoding/hex"
	"fmt"
	"time"
)

// CookieInfo describes a session cookie, for debugging tools such as
// sealctl inspect. It holds the session's data: show it only to someone
// entitled to read that session.
type CookieInfo struct {
	KeyID   string    `json:"key_id"`            // key that sealed the cookie
	Primary bool      `json:"primary"`           // whether that key is the primary
	ID      string    `json:"id"`                // session ID, hexadecimal
	UserID  string    `json:"user_id,omitempty"` // bound user, "" if anonymous
	Created time.Time `json:"created"`           // creation or last Login
	Saved   time.Time `json:"saved"`             // when this cookie was sealed
	// Expires is when the session expires under this Manager's Config
	// (idle age or custom date, capped by the absolute lifetime).
	Expires time.Time `json:"expires"`
	// Expired reports whether Expires has passed by the Manager's clock.
	Expired              bool           `json:"expired"`
	ExpireAtBrowserClose bool           `json:"expire_at_browser_close"`
	Flashes              []string       `json:"flashes,omitempty"`
	Data                 map[string]any `json:"data"` // values as Session.Items gives them
}

// Inspect opens a session cookie value as a request would (keyring,
// payload, expiry) and describes it, expired or not. A session over
// several cookies is given as all their values in order (the cookie
// CookieName's, then CookieName.1's, ...; ChunkValues finds them in a
// Cookie header), whatever Config.MaxCookies is. It does not consult the
// revocation list. An error means the value does not open: errors.Is
// tells the keyring's reason (keyring.ErrTampered, ...), or ErrChunks, or
// the payload does not decode.
func (m *Manager) Inspect(values ...string) (CookieInfo, error) {
	kr := m.cfg.Keys.Keyring()
	if kr.Len() == 0 {
		return CookieInfo{}, fmt.Errorf("sessions: inspect: the keyring source returned no keyring, or one without keys")
	}
	value, err := joinChunks(values)
	if err != nil {
		return CookieInfo{}, fmt.Errorf("sessions: inspect: %w", err)
	}
	o, err := kr.OpenMax(m.cfg.CookieName, value, maxChunks*MaxCookieSize)
	if err != nil {
		return CookieInfo{}, fmt.Errorf("sessions: inspect: %w", err)
	}
	var p payload
	if err := decodePayload(o.Plaintext, &p); err != nil {
		return CookieInfo{}, fmt.Errorf("sessions: inspect: %w", err)
	}
	exp := m.expiresAt(&p, p.saved)
	info := CookieInfo{
		KeyID:                o.KeyID,
		Primary:              o.Primary,
		ID:                   hex.EncodeToString(p.id[:]),
		UserID:               p.userID,
		Created:              time.Unix(0, p.created).UTC(),
		Saved:                time.Unix(0, p.saved).UTC(),
		Expires:              time.Unix(0, exp).UTC(),
		Expired:              m.now().UnixNano() >= exp,
		ExpireAtBrowserClose: m.browserClose(&p),
		Flashes:              p.flashes,
		Data:                 make(map[string]any, len(p.entries)),
	}
	for i := range p.entries {
		v, err := p.entries[i].natural()
		if err != nil {
			return CookieInfo{}, fmt.Errorf("sessions: inspect: value of %q: %w", p.entries[i].key, err)
		}
		info.Data[p.entries[i].key] = v
	}
	return info, nil
}
