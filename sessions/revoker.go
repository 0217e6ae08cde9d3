package sessions

import (
	"context"
	"time"
)

// Revoker is the server-side revocation and flush list that a Manager
// consults on every request and records into on flush, cycle and logout.
//
// sessions declares the interface it consumes; *revocation.Store satisfies
// it. Implementations must be safe for concurrent use.
//
// Revoked is on the request path: it must read memory only and should not
// allocate. It reports whether a session with the given ID, bound user
// (empty when anonymous) and creation time is dead: its ID was revoked, its
// user was revoked at or after created, or everything was revoked at or after
// created. Times compare with nanosecond precision, so a session created
// after a RevokeUser or RevokeAll on the same clock survives it. A non-nil
// error means the list can't answer (store closed, replication stale); the
// Manager then fails closed unless Config.InsecureFailOpen is set.
type Revoker interface {
	Revoked(id [16]byte, userID string, created time.Time) (bool, error)

	// RevokeSession records that session id is dead until until, when the
	// session would have expired anyway and the entry may be dropped.
	RevokeSession(ctx context.Context, id [16]byte, until time.Time) error

	// RevokeUser kills every session of userID created at or before at.
	RevokeUser(ctx context.Context, userID string, at time.Time) error

	// RevokeAll kills every session created at or before at.
	RevokeAll(ctx context.Context, at time.Time) error
}

// lifetimer is implemented by Revokers that forget entries after a fixed
// absolute lifetime (*revocation.Store does). New refuses one whose
// lifetime is shorter than the Manager's: its entries would expire while
// cookies they match are still alive, and revoked sessions would come back.
type lifetimer interface {
	AbsoluteLifetime() time.Duration
}
