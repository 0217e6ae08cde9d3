package sessiontest

import (
	"cmp"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// Kit is a [sessions.Manager] made for a test, with the parts it runs on
// in reach: a keyring generated in memory, an in-memory revocation list
// and a clock that moves only when the test says so. A Kit belongs to the
// test that made it: its methods fail that test on error.
type Kit struct {
	// Manager is the Manager to hand to the handlers under test.
	Manager *sessions.Manager
	// Keys is the keyring the Manager seals and opens with: one primary
	// key, generated with crypto/rand.
	Keys *keyring.Keyring
	// Revocations is the Manager's revocation list.
	Revocations *MemRevoker
	// Clock is the Manager's clock, and the revocation list's.
	Clock *Clock

	t                      testing.TB
	cookieName             string
	cookieAge, absLifetime time.Duration
}

// New returns a Kit whose Manager runs with cfg, except Keys, Revoker and
// Now, which are the Kit's own (any set in cfg are replaced). The zero
// Config gives the library's defaults, but for Logger: nil discards the
// log (Manager.Stats still counts refused cookies by reason). The clock
// starts at the current time, truncated to the second.
func New(t testing.TB, cfg sessions.Config) *Kit {
	t.Helper()
	clock := NewClock(time.Now().Truncate(time.Second))
	keys, err := keyring.New(clock.Now())
	if err != nil {
		t.Fatalf("sessiontest: new keyring: %v", err)
	}
	k := &Kit{Keys: keys, Revocations: NewMemRevoker(clock.Now), Clock: clock, t: t}
	cfg.Keys, cfg.Revoker, cfg.Now = keys, k.Revocations, clock.Now
	cfg.InsecureNoRevocation = false
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if k.Manager, err = sessions.New(cfg); err != nil {
		t.Fatalf("sessiontest: %v", err)
	}
	k.cookieName = cmp.Or(cfg.CookieName, sessions.DefaultCookieName)
	k.cookieAge = cmp.Or(cfg.CookieAge, sessions.DefaultCookieAge)
	k.absLifetime = cmp.Or(cfg.AbsoluteLifetime, sessions.DefaultAbsoluteLifetime)
	return k
}

// RevokeUser ends every session of userID created until now, as the
// Manager's "log out everywhere" does.
func (k *Kit) RevokeUser(userID string) {
	k.t.Helper()
	if err := k.Manager.RevokeUser(context.Background(), userID); err != nil {
		k.t.Fatalf("sessiontest: %v", err)
	}
}

// RevokeAll ends every session created until now.
func (k *Kit) RevokeAll() {
	k.t.Helper()
	if err := k.Manager.RevokeAll(context.Background()); err != nil {
		k.t.Fatalf("sessiontest: %v", err)
	}
}

// AdvancePastIdle moves the clock one second past the idle expiry
// (Config.CookieAge): a session last saved now and not given a custom
// expiry has expired.
func (k *Kit) AdvancePastIdle() time.Time { return k.Clock.Advance(k.cookieAge + time.Second) }

// AdvancePastLifetime moves the clock one second past the absolute lifetime
// (Config.AbsoluteLifetime): a session created or logged in now has
// expired, however often it was saved.
func (k *Kit) AdvancePastLifetime() time.Time {
	return k.Clock.Advance(k.absLifetime + time.Second)
}

// Clock is a clock for tests: time moves only when the test says so. Its
// Now method fits sessions.Config.Now. Safe for concurrent use.
type Clock struct{ c *fake.Clock }

// NewClock returns a clock stopped at start.
func NewClock(start time.Time) *Clock { return &Clock{c: fake.NewClock(start)} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time { return c.c.Now() }

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time { return c.c.Advance(d) }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.c.Set(t) }
