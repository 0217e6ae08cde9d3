package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// maxCandidates bounds how many cookies of our name one request may make
// the Manager try to open.
const maxCandidates = 4

// load opens the first of the request's cookies that passes every check,
// or starts a new session.
func (m *Manager) load(r *http.Request) *Session {
	s := &Session{m: m}
	var vals [maxCandidates]string
	n, present := cookieValues(r.Header, m.cfg.CookieName, vals[:])
	if present {
		s.origin = originRefused
	}
	if n > 0 {
		now := m.now().UnixNano()
		kr := m.cfg.Keys.Keyring()
		// A refused cookie is deleted, unless one was left untried or the
		// revocation list failed: it may be a valid session (fail closed
		// refuses it now but must not throw it away).
		s.dropRefused = present && n < len(vals)
		for _, v := range vals[:n] {
			why, opened := m.open(kr, v, now, &s.p)
			if why == reasonOK {
				m.st.opened.Add(1)
				s.origin, s.status, s.keyID = originOpened, statusUnmodified, opened.KeyID
				s.dropRefused = false
				if !opened.Primary {
					s.origin = originOldKey
				}
				return s
			}
			if why == reasonRevokerError {
				s.dropRefused = false
			}
			m.refused(r, why, claimedKeyID(v), len(v))
		}
	}
	m.st.created.Add(1)
	s.p = payload{created: m.stamp()}
	rand.Read(s.p.id[:])
	s.status = statusBlank
	return s
}

// maxLoggedKeyID bounds the key ID a refused cookie names in the log: an
// attacker chooses it.
const maxLoggedKeyID = 32

// claimedKeyID returns the key ID a sealed value names (the text before its
// first dot), cut to maxLoggedKeyID bytes. It is not the value: the value's
// sealed part never reaches the log.
func claimedKeyID(v string) string {
	id, _, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	if len(id) > maxLoggedKeyID {
		id = id[:maxLoggedKeyID]
	}
	return id
}

// open checks one cookie value completely: what the value alone decides
// (unseal), then what changes with time and the revocation list (check).
func (m *Manager) open(kr *keyring.Keyring, v string, now int64, p *payload) (reason, keyring.Opened) {
	why, opened := m.unseal(kr, v, p)
	if why == reasonOK {
		why = m.check(p, now)
	}
	return why, opened
}

// unseal verifies and decrypts a cookie value and decodes its payload into
// p. Its answer depends on the value and the keyring only, so a value
// verified before under the same keyring is taken from the cache (the
// keyring's max age is still checked).
func (m *Manager) unseal(kr *keyring.Keyring, v string, p *payload) (reason, keyring.Opened) {
	if kr == nil { // a broken keyring.Source: nothing can open
		return reasonUnknownKey, keyring.Opened{}
	}
	if _, ok := m.fit(len(v)); !ok || len(v) > keyring.MaxValueLen {
		return reasonOversize, keyring.Opened{}
	}
	if m.cache != nil {
		if opened, ok := m.cache.get(kr, v, p); ok {
			if !kr.Fresh(opened.Sealed) {
				return reasonExpired, opened
			}
			return reasonOK, opened
		}
	}
	opened, err := kr.Open(m.cfg.CookieName, v)
	if err != nil {
		return keyringReason(err), opened
	}
	if decodePayload(opened.Plaintext, p) != nil {
		return reasonMalformed, opened
	}
	if m.cache != nil {
		m.cache.put(kr, v, opened, p)
	}
	return reasonOK, opened
}

// keyringReasons classify the keyring's errors; any other is malformed.
var keyringReasons = [...]struct {
	err error
	why reason
}{
	{keyring.ErrTampered, reasonTampered},
	{keyring.ErrUnknownKey, reasonUnknownKey},
	{keyring.ErrWrongName, reasonWrongName},
	{keyring.ErrExpired, reasonExpired},
	{keyring.ErrTooLong, reasonOversize},
}

func keyringReason(err error) reason {
	for _, k := range keyringReasons {
		if errors.Is(err, k.err) {
			return k.why
		}
	}
	return reasonMalformed
}

// check decides what an unsealed payload's time and the revocation list
// say: expired, revoked, or fine.
func (m *Manager) check(p *payload, now int64) reason {
	if now >= m.expiresAt(p, p.saved) {
		return reasonExpired
	}
	if m.cfg.Revoker == nil {
		return reasonOK
	}
	revoked, err := m.cfg.Revoker.Revoked(p.id, p.userID, time.Unix(0, p.created))
	switch {
	case err != nil:
		m.st.revokerErrors.Add(1)
		m.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "sessions: revocation list did not answer",
			slog.Bool("fail_open", m.cfg.InsecureFailOpen), slog.Any("error", err))
		if !m.cfg.InsecureFailOpen {
			return reasonRevokerError
		}
	case revoked:
		return reasonRevoked
	}
	return reasonOK
}
