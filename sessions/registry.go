package sessions

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ErrNotFound is returned by EndSession for an ID that is not one of the
// current user's live sessions.
var ErrNotFound = errors.New("sessions: no such session of this user")

// ErrNoRegistry is returned by Sessions and EndSession when Config.Registry
// is not set.
var ErrNoRegistry = errors.New("sessions: no login registry configured")

// Registry records the sessions users log in with, for a "where you're
// signed in" page (Manager.Sessions, EndSession, EndOtherSessions).
// *revocation.Store satisfies it (with revocation.Config.LoginsPerUser
// set). Nothing on the request path calls it: the Manager records a login
// when it saves a new session ID of a logged-in user, and reads the list
// only in Sessions and EndSession. Implementations must be safe for
// concurrent use.
//
// Its methods take plain values, not a type of this package, so that a
// store satisfies it without importing sessions.
type Registry interface {
	// RecordLogin records that user logged in with session, created at
	// created, from device; bound says the session is device bound
	// (DBSC). It replaces an entry of the same session ID.
	RecordLogin(ctx context.Context, session [16]byte, user string, created time.Time, device string, bound bool) error
	// EachLogin calls fn with user's recorded sessions, newest first,
	// until fn returns false. It may include revoked ones: the Manager
	// filters them with its Revoker.
	EachLogin(user string, fn func(session [16]byte, created time.Time, device string, bound bool) bool)
}

// SessionInfo is one of a user's live sessions, as Manager.Sessions lists
// it.
type SessionInfo struct {
	ID      string    // the session ID in hexadecimal, for EndSession
	Current bool      // the session of the request
	Created time.Time // when the user logged in with it
	Device  string    // a short description of the device
	Bound   bool      // device bound (DBSC): only its device can renew it
}

// recordLogin records s's new ID in the registry, if there is one and a
// user is logged in, and whether the session is device bound (a DBSC
// registration cycles the ID, so the bound session is recorded under its
// new ID). Callers hold s.mu.
func (m *Manager) recordLogin(ctx context.Context, r *http.Request, s *Session) error {
	if m.cfg.Registry == nil || s.p.userID == "" {
		return nil
	}
	var device string
	if r != nil {
		device = m.cfg.Device(r)
		if m.cfg.RegistryNetwork {
			device = joinDevice(device, coarseNetwork(r.RemoteAddr))
		}
	}
	if err := m.cfg.Registry.RecordLogin(ctx, s.p.id, s.p.userID, time.Unix(0, s.p.created), device, s.p.device != ""); err != nil {
		return fmt.Errorf("sessions: save: record login: %w", err)
	}
	return nil
}

func joinDevice(device, network string) string {
	switch {
	case network == "":
		return device
	case device == "":
		return network
	}
	return device + ", " + network
}

// coarseNetwork returns the /24 (IPv4) or /48 (IPv6) network of a
// host:port address, or "" if it is not one.
func coarseNetwork(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return ""
	case ip.To4() != nil:
		return (&net.IPNet{IP: ip.To4().Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(48, 128)), Mask: net.CIDRMask(48, 128)}).String()
}

// current returns the request's session and its user, or ErrNoSession.
func (m *Manager) current(r *http.Request) (*Session, [16]byte, string, error) {
	s, err := m.Session(r)
	if err != nil {
		return nil, [16]byte{}, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	return s, s.p.id, s.p.userID, nil
}

// liveLogins returns user's registered sessions that the Revoker does not
// list as revoked (one it can't answer for counts as revoked) and that are
// within their absolute lifetime, newest first.
func (m *Manager) liveLogins(user string) []login {
	now := m.now()
	var out []login
	m.cfg.Registry.EachLogin(user, func(session [16]byte, created time.Time, device string, bound bool) bool {
		if !created.Add(m.cfg.AbsoluteLifetime).After(now) {
			return true
		}
		if m.cfg.Revoker != nil {
			if dead, err := m.cfg.Revoker.Revoked(session, user, created); err != nil || dead {
				return true
			}
		}
		out = append(out, login{session: session, created: created, device: device, bound: bound})
		return true
	})
	return out
}

// login is one registered session of a user.
type login struct {
	session [16]byte
	created time.Time
	device  string
	bound   bool
}

// Sessions returns the live sessions of the request's user, newest first,
// the request's own marked Current. An anonymous session has none. It
// fails with ErrNoRegistry without Config.Registry and ErrNoSession
// without a session in the request.
func (m *Manager) Sessions(ctx context.Context, r *http.Request) ([]SessionInfo, error) {
	if m.cfg.Registry == nil {
		return nil, fmt.Errorf("sessions: sessions: %w", ErrNoRegistry)
	}
	_, id, user, err := m.current(r)
	if err != nil || user == "" {
		return nil, err
	}
	logins := m.liveLogins(user)
	out := make([]SessionInfo, len(logins))
	for i, l := range logins {
		out[i] = SessionInfo{ID: hex.EncodeToString(l.session[:]), Current: l.session == id, Created: l.created, Device: l.device, Bound: l.bound}
	}
	return out, nil
}

// EndSession ends one of the live sessions of the request's user, given
// its ID as Sessions lists it: it revokes that ID. An ID that is not one
// of them (another user's, a revoked one, a malformed one), or an
// anonymous request, gives ErrNotFound and changes nothing. Ending the
// request's own session flushes it, as Logout does.
func (m *Manager) EndSession(ctx context.Context, r *http.Request, id string) error {
	if m.cfg.Registry == nil {
		return fmt.Errorf("sessions: end session: %w", ErrNoRegistry)
	}
	if m.cfg.Revoker == nil {
		return fmt.Errorf("sessions: end session: %w", ErrNoRevocation)
	}
	s, cur, user, err := m.current(r)
	if err != nil {
		return fmt.Errorf("sessions: end session: %w", err)
	}
	var want [16]byte
	if len(id) != 2*len(want) || user == "" {
		return fmt.Errorf("sessions: end session: %w", ErrNotFound)
	}
	if _, err := hex.Decode(want[:], []byte(id)); err != nil {
		return fmt.Errorf("sessions: end session: %w", ErrNotFound)
	}
	for _, l := range m.liveLogins(user) {
		if l.session != want {
			continue
		}
		if want == cur {
			return s.Logout(ctx)
		}
		until := l.created.Add(m.cfg.AbsoluteLifetime)
		if err := m.cfg.Revoker.RevokeSession(ctx, want, until); err != nil {
			return fmt.Errorf("sessions: end session: %w", err)
		}
		return nil
	}
	return fmt.Errorf("sessions: end session: %w", ErrNotFound)
}

// EndOtherSessions ends every session of the request's user but the
// request's own, registered or not ("sign out everywhere else"): it
// revokes the user up to now, then logs the current session in again
// under a new ID (Login), keeping its data, so it keeps working with the
// cookie this response carries. A device-bound session (DBSC) whose
// request brought a live bound cookie stays bound to its key: the
// response also carries the bound cookie for the new ID and the next
// refresh challenge. It needs no registry. An anonymous request gives
// ErrEmptyUserID.
func (m *Manager) EndOtherSessions(ctx context.Context, r *http.Request) error {
	s, _, user, err := m.current(r)
	if err != nil {
		return fmt.Errorf("sessions: end other sessions: %w", err)
	}
	if user == "" {
		return fmt.Errorf("sessions: end other sessions: %w", ErrEmptyUserID)
	}
	if err := m.RevokeUser(ctx, user); err != nil {
		return fmt.Errorf("sessions: end other sessions: %w", err)
	}
	err = s.Login(ctx, user)
	s.keepProvedBinding()
	return err
}
