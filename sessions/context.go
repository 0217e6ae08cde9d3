package sessions

import (
	"context"
	"net/http"
)

// A session reaches code that has only a context through the request's
// context. Each Manager keeps its own unexported key (two Managers never
// see each other's sessions through Manager.Session); FromContext, for
// code that knows no Manager, answers a second, package-wide key. One
// context node answers both and holds the Session itself, so the session
// and its context node are one allocation (with the request copy that
// WithContext makes, Load allocates twice for them); Handler's response
// writer lives in the same node.

// anySessionKey is the package-wide key FromContext asks for.
type anySessionKey struct{}

// sessionContext is a request context carrying a Manager's session, which
// it holds by value: every *Session of a request points into one. Handler
// keeps its response writer in it too (unused after a bare Load).
type sessionContext struct {
	context.Context
	key *contextKey
	s   Session
	w   responseWriter
}

// Value answers the Manager's key and the package-wide key with the
// session, and passes any other key to the parent.
func (c *sessionContext) Value(key any) any {
	switch k := key.(type) {
	case *contextKey:
		if k == c.key {
			return &c.s
		}
	case anySessionKey:
		return &c.s
	}
	return c.Context.Value(key)
}

// loadRequest loads r's session into a new context node under m's key,
// and returns r with that context, and the node.
func (m *Manager) loadRequest(r *http.Request) (*http.Request, *sessionContext) {
	c := &sessionContext{Context: r.Context(), key: m.key}
	c.s.m = m
	m.loadInto(r, &c.s, true)
	return r.WithContext(c), c
}

// FromContext returns the session that a Manager's Handler or Load put in
// ctx (a request's context, or one derived from it), for code that has a
// context but no request or Manager, such as a service a handler calls.
// With several Managers on one request, it returns the session of the
// innermost (the last to load); Manager.Session picks a Manager's own.
func FromContext(ctx context.Context) (*Session, bool) {
	if ctx == nil {
		return nil, false
	}
	s, ok := ctx.Value(anySessionKey{}).(*Session)
	return s, ok && s != nil
}
