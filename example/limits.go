package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sealedsessions/sealed/sessions"
)

// Abuse limits: failed logins per user name and per client address, and
// anonymous sessions ended per client address. Token buckets
// (golang.org/x/time/rate) on the site's clock. Successful logins and the
// logouts of logged-in users are never limited by address: an office
// behind one NAT logs in at nine.

// Limit is one token bucket: a burst of Burst events, refilled at Burst
// per Per. The zero Limit is off. As a flag it reads "N/DURATION" (such as
// "5/5m": five at once, then one a minute) or "off".
type Limit struct {
	Burst int
	Per   time.Duration
}

// On reports whether the limit applies.
func (l Limit) On() bool { return l.Burst > 0 }

func (l Limit) String() string {
	if !l.On() {
		return "off"
	}
	return fmt.Sprintf("%d/%v", l.Burst, l.Per)
}

// Set parses "N/DURATION" or "off" (flag.Value).
func (l *Limit) Set(s string) error {
	if s == "off" || s == "0" {
		*l = Limit{}
		return nil
	}
	n, per, ok := strings.Cut(s, "/")
	burst, err1 := strconv.Atoi(n)
	d, err2 := time.ParseDuration(per)
	if !ok || err1 != nil || err2 != nil || burst <= 0 || d <= 0 {
		return errors.New(`want N/DURATION with N and DURATION above zero (such as "5/5m"), or "off"`)
	}
	*l = Limit{Burst: burst, Per: d}
	return nil
}

// Limits are the site's abuse limits; the zero value turns them all off.
type Limits struct {
	// LoginUser: failed logins per user name, known or not (so a 429
	// doesn't tell which names exist).
	LoginUser Limit
	// LoginAddr: failed logins per client address.
	LoginAddr Limit
	// AnonEndAddr: anonymous sessions that held a cookie ended (POST
	// /logout) per client address. Each writes a revocation entry, with an
	// fsync, kept for the session's absolute lifetime.
	AnonEndAddr Limit
}

// DefaultLimits are the command line's defaults.
var DefaultLimits = Limits{
	LoginUser:   Limit{Burst: 5, Per: 5 * time.Minute},
	LoginAddr:   Limit{Burst: 50, Per: 10 * time.Minute},
	AnonEndAddr: Limit{Burst: 30, Per: time.Minute},
}

// addLimitFlags adds --limit-login-user, --limit-login-addr and
// --limit-anon-end, starting from DefaultLimits.
func addLimitFlags(fs *flag.FlagSet, cfg *Config) {
	cfg.Limits = DefaultLimits
	fs.Var(&cfg.Limits.LoginUser, "limit-login-user", "failed logins per user name: `N/DURATION` (a burst of N, refilled at N per DURATION) or off")
	fs.Var(&cfg.Limits.LoginAddr, "limit-login-addr", "failed logins per client address: `N/DURATION` or off")
	fs.Var(&cfg.Limits.AnonEndAddr, "limit-anon-end", "anonymous sessions ended (logout) per client address: `N/DURATION` or off")
}

// limiter holds the buckets of every limit.
type limiter struct {
	loginUser, loginAddr, anonEnd *buckets
}

func newLimiter(l Limits) *limiter {
	return &limiter{loginUser: newBuckets(l.LoginUser), loginAddr: newBuckets(l.LoginAddr), anonEnd: newBuckets(l.AnonEndAddr)}
}

// loginAttempt holds the tokens a login reserved while its password is
// checked.
type loginAttempt struct {
	at   time.Time
	held []*rate.Reservation
}

// beginLogin takes a token from the user's and the address's buckets
// before the password is checked, so parallel guesses can't overdraw
// them. When either is empty it takes none and returns how long until
// one refills.
func (l *limiter) beginLogin(now time.Time, user, addr string) (loginAttempt, time.Duration) {
	// No user's name is this long: a shorter key bounds the memory.
	if len(user) > 64 {
		user = user[:64]
	}
	a := loginAttempt{at: now}
	var wait time.Duration
	for _, b := range []struct {
		bs  *buckets
		key string
	}{{l.loginUser, user}, {l.loginAddr, addr}} {
		r, d := b.bs.reserve(now, b.key)
		if r != nil {
			a.held = append(a.held, r)
		}
		wait = max(wait, d)
	}
	if wait > 0 {
		a.succeeded()
	}
	return a, wait
}

// succeeded gives the tokens back: a right password costs nothing.
func (a loginAttempt) succeeded() {
	for _, r := range a.held {
		r.CancelAt(a.at) // at the reservation's time, or nothing comes back
	}
}

// endAnonymous takes a token for ending an anonymous session from addr,
// or returns how long until one refills.
func (l *limiter) endAnonymous(now time.Time, addr string) time.Duration {
	_, d := l.anonEnd.reserve(now, addr)
	return d
}

// maxBuckets bounds each limit's memory. A full bucket is the same as
// none, so those go first; if every bucket is in use (a flood from more
// addresses than this), an arbitrary half is forgotten rather than grow
// without bound.
const maxBuckets = 100_000

// buckets are one limit's token buckets by key.
type buckets struct {
	limit Limit
	max   int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newBuckets(l Limit) *buckets {
	return &buckets{limit: l, max: maxBuckets, m: make(map[string]*rate.Limiter)}
}

// reserve takes a token from key's bucket if one is there now, and returns
// its reservation. Otherwise it takes none and returns nil and the wait
// for one. Off, it returns nil and 0.
func (b *buckets) reserve(now time.Time, key string) (*rate.Reservation, time.Duration) {
	if !b.limit.On() {
		return nil, 0
	}
	r := b.get(now, key).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, d
	}
	return r, 0
}

func (b *buckets) get(now time.Time, key string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	if lim, ok := b.m[key]; ok {
		return lim
	}
	if len(b.m) >= b.max {
		b.sweep(now)
	}
	lim := rate.NewLimiter(rate.Limit(float64(b.limit.Burst)/b.limit.Per.Seconds()), b.limit.Burst)
	b.m[key] = lim
	return lim
}

// sweep drops full buckets, then, if that was not enough, half of the
// rest. Callers hold b.mu.
func (b *buckets) sweep(now time.Time) {
	for k, lim := range b.m {
		if lim.TokensAt(now) >= float64(b.limit.Burst) {
			delete(b.m, k)
		}
	}
	for k := range b.m {
		if len(b.m) < b.max/2 {
			break
		}
		delete(b.m, k)
	}
}

// clientAddr is the key of the per-address limits: the peer's IP or, with
// BehindTLSProxy, the last X-Forwarded-For entry (the one the proxy added;
// the ones before it are the client's to invent). An IPv6 address counts
// as its /64, which one host commonly holds whole.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.cfg.BehindTLSProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			list := strings.Split(xff[len(xff)-1], ",")
			host = strings.TrimSpace(list[len(list)-1])
		}
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// tooMany answers 429 with Retry-After, in whole seconds rounded up.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, what string) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.logger.Warn("rate limited", "what", what, "addr", s.clientAddr(r), "retry_after_s", secs)
}

// tryAgain says, in the session's language, to try again after d: in whole
// seconds, or whole minutes from two minutes up.
func tryAgain(sess *sessions.Session, d time.Duration) string {
	if d >= 2*time.Minute {
		return tr(sess, "Try again in %d minutes.", int(math.Ceil(d.Minutes())))
	}
	secs := int(math.Ceil(d.Seconds()))
	if secs == 1 {
		return tr(sess, "Try again in 1 second.")
	}
	return tr(sess, "Try again in %d seconds.", secs)
}
