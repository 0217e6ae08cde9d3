package sessions

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// Defaults for the zero values of Config fields.
const (
	DefaultCookieName       = "session"
	DefaultPath             = "/"
	DefaultCookieAge        = 14 * 24 * time.Hour // Django's SESSION_COOKIE_AGE
	DefaultAbsoluteLifetime = 30 * 24 * time.Hour
)

// MaxCookieSize is the largest cookie, name plus value, that a Manager
// writes (RFC 6265 asks browsers to accept at least 4096 bytes).
const MaxCookieSize = 4096

// Errors.
var (
	// ErrInvalidConfig: New was given a config it refuses.
	ErrInvalidConfig = errors.New("sessions: invalid config")
	// ErrNoSession: Manager.Session was called on a request that did not
	// pass through the Manager's Handler or Load.
	ErrNoSession = errors.New("sessions: no session in request context")
	// ErrTooLarge: the sealed session does not fit in one cookie (or in
	// Config.MaxCookies cookies and Config.MaxCookieHeader); the
	// error is a *TooLargeError naming the largest keys.
	ErrTooLarge = errors.New("sessions: session too large for a cookie")
	// ErrTypeMismatch: SetDefault found a value that is not of the asked type.
	ErrTypeMismatch = errors.New("sessions: stored value has another type")
	// ErrEmptyUserID: Login was given an empty user ID.
	ErrEmptyUserID = errors.New("sessions: empty user ID")
	// ErrNoRevocation: a revocation was asked of a Manager configured with
	// InsecureNoRevocation.
	ErrNoRevocation = errors.New("sessions: no revocation list configured")
)

// Config configures a Manager. The zero value of every field except Keys
// and Revoker is the documented default. New copies the Config; changing it
// afterwards has no effect.
type Config struct {
	// Keys gives the keyring that seals and opens cookies, asked once per
	// request so a rotated keyring (a *keyring.Watcher) takes effect
	// without restart. Required.
	Keys keyring.Source

	// Revoker is the server-side revocation list, consulted after every
	// cookie opens and recorded into by Flush, CycleID, Login, Logout,
	// RevokeUser and RevokeAll. Required unless InsecureNoRevocation. A
	// Revoker with an AbsoluteLifetime() method (*revocation.Store,
	// *natsrepl.Replicator) must keep entries at least as long as this
	// Config's AbsoluteLifetime, or New refuses it.
	Revoker Revoker

	// Registry, if set, records the sessions users log in with (on Login,
	// and on the new IDs CycleID and a shortened expiry give a logged-in
	// session), for Manager.Sessions, EndSession and EndOtherSessions: a
	// "where you're signed in" page. *revocation.Store with
	// revocation.Config.LoginsPerUser set satisfies it. Default nil: off,
	// costing nothing. A login the Registry fails to record fails the save.
	Registry Registry

	// Device describes the device of a request whose login the Registry
	// records, in a few words. Default UserAgentDevice ("Firefox on
	// Linux").
	Device func(*http.Request) string

	// RegistryNetwork adds the client's coarse network (its /24 for IPv4,
	// /48 for IPv6, from the request's RemoteAddr) to the recorded device.
	// Default false: no part of the address is stored.
	RegistryNetwork bool

	// InsecureNoRevocation runs without a revocation list: logout then only
	// deletes the browser's cookie, and a copy of it keeps working until it
	// expires, as with other cookie session stores. Default false.
	InsecureNoRevocation bool

	// InsecureFailOpen accepts a session when the Revoker returns an error.
	// Default false: fail closed, treating the cookie as revoked and giving
	// the request a fresh session.
	InsecureFailOpen bool

	// CookieName is the cookie's name. Default "session". A "__Host-" name
	// (recommended: the cookie can't be set by a sibling subdomain) needs
	// Secure, Path "/" and no Domain; "__Secure-" needs Secure. New refuses
	// a Config that breaks these, since browsers would drop the cookie.
	CookieName string

	// MaxCookies is the most cookies one session may span. Default 1: a
	// session is one cookie and one bigger is refused (TooLargeError).
	// Above 1 (at most 9), the session is still sealed once and the sealed
	// value is split across the cookies CookieName, CookieName.1,
	// CookieName.2, ..., all with the same attributes; the first says how
	// many there are, and the one MAC covers them all. Every extra cookie
	// is sent with every request to the cookie's path: see
	// MaxCookieHeader, and the package doc for the cost.
	MaxCookies int

	// MaxCookieHeader is the most bytes, with MaxCookies above 1, that the
	// session's cookies may take in a request's Cookie header (names, '=',
	// values and the "; " between them). Default DefaultMaxCookieHeader
	// (7 KB), which keeps the whole header under nginx's and Apache's
	// default 8 KB per header line with room for the site's other cookies.
	// Raise it only if every proxy in front of the app allows more.
	MaxCookieHeader int

	// Path is the cookie's Path. Default "/".
	Path string

	// Domain is the cookie's Domain. Default empty: host-only cookie.
	Domain string

	// InsecureCookies drops the Secure attribute, for plain-HTTP
	// development. Default false: Secure.
	InsecureCookies bool

	// InsecureScriptAccess drops the HttpOnly attribute, letting page
	// scripts read the cookie. Default false: HttpOnly.
	InsecureScriptAccess bool

	// SameSite is the cookie's SameSite attribute. Default (zero) Lax.
	// http.SameSiteDefaultMode omits the attribute. None requires Secure.
	SameSite http.SameSite

	// Partitioned adds the Partitioned attribute (CHIPS). Requires Secure.
	// Default false.
	Partitioned bool

	// CookieAge is the idle expiry: a session not saved for this long
	// expires (checked on the server from the payload; the cookie's
	// Max-Age mirrors it). Default 14 days, Django's SESSION_COOKIE_AGE.
	CookieAge time.Duration

	// AbsoluteLifetime caps every session's life from its creation (or its
	// last Login): sliding renewal and custom expiries can't go past it.
	// Default 30 days. Must be at least CookieAge.
	AbsoluteLifetime time.Duration

	// ExpireAtBrowserClose writes cookies without Max-Age/Expires, so the
	// browser drops them when it closes; the server still expires them
	// after CookieAge idle. Default false.
	ExpireAtBrowserClose bool

	// SaveEveryRequest saves (re-seals) an existing session on every
	// response, not only when modified, sliding its idle expiry. Default
	// false.
	SaveEveryRequest bool

	// Logger receives the reasons cookies are refused (never the cookie
	// value: Warn, rate-limited, for a forged or tampered cookie; Info for a
	// revoked one; Debug for the rest), revocation list failures (Warn) and
	// save errors (Error). Default slog.Default().
	Logger *slog.Logger

	// ErrorHandler is called by Handler with errors it cannot return to a
	// caller: a session too large for a cookie (*TooLargeError), a sealing
	// failure, a revocation that could not be recorded, a session another
	// request ended meanwhile (ErrSessionInterrupted). It runs while the
	// response headers are being written, before the status line: it may
	// add headers but must not write the body or status. Default: log the
	// error at Error level.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// VerifiedCacheEntries bounds the cache of cookie values this Manager
	// has already verified and decrypted: a repeat request with the exact
	// same value skips the MAC, the decryption and the decoding. Expiry,
	// the keyring (a reloaded keyring starts the cache afresh, so a retired
	// key's cookies stop opening at once) and the revocation list are
	// still checked on every request. Default 10,000 entries; negative
	// turns the cache off. See SECURITY.md for why it is on by default.
	VerifiedCacheEntries int

	// VerifiedCacheBytes bounds the cache's size, counting each entry's
	// cookie value and decoded data. Default 32 MiB.
	VerifiedCacheBytes int

	// DeviceBound turns on Device Bound Session Credentials (dbsc.go):
	// Login offers the browser to bind the session to a device key, and a
	// bound session is served only with a live bound cookie. Default nil:
	// off, and sessions work as without it.
	DeviceBound *DeviceBound

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Defaults of the verified-value cache.
const (
	DefaultVerifiedCacheEntries = 10_000
	DefaultVerifiedCacheBytes   = 32 << 20
)

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Keys == nil {
		return Config{}, invalid("Keys is required (a *keyring.Keyring or *keyring.Watcher)")
	}
	if c.Revoker == nil && !c.InsecureNoRevocation {
		return Config{}, invalid("Revoker is required; set InsecureNoRevocation to run without server-side logout")
	}
	if c.Revoker != nil && c.InsecureNoRevocation {
		return Config{}, invalid("both Revoker and InsecureNoRevocation are set")
	}
	if err := c.cookieDefaults(); err != nil {
		return Config{}, err
	}
	if c.Device == nil {
		c.Device = UserAgentDevice
	}
	if err := c.chunkDefaults(); err != nil {
		return Config{}, err
	}
	if err := c.prefixRules(); err != nil {
		return Config{}, err
	}
	if err := c.lifetimeDefaults(); err != nil {
		return Config{}, err
	}
	if err := c.deviceBoundDefaults(); err != nil {
		return Config{}, err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.VerifiedCacheEntries == 0 {
		c.VerifiedCacheEntries = DefaultVerifiedCacheEntries
	}
	if c.VerifiedCacheBytes <= 0 {
		c.VerifiedCacheBytes = DefaultVerifiedCacheBytes
	}
	return c, nil
}

// invalid is New's error for a Config it refuses.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// cookieDefaults checks and fills in the cookie's name and attributes.
func (c *Config) cookieDefaults() error {
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if !validCookieName(c.CookieName) {
		return invalid("CookieName %q is not a valid cookie name", c.CookieName)
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if !validAttr(c.Path) {
		return invalid("Path %q has characters not allowed in a cookie attribute", c.Path)
	}
	if !validAttr(c.Domain) || (c.Domain != "" && (&http.Cookie{Name: "x", Value: "x", Domain: c.Domain}).Valid() != nil) {
		return invalid("Domain %q is not a valid cookie domain", c.Domain)
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.SameSite < http.SameSiteDefaultMode || c.SameSite > http.SameSiteNoneMode {
		return invalid("SameSite %d is not an http.SameSite mode", c.SameSite)
	}
	if c.SameSite == http.SameSiteNoneMode && c.InsecureCookies {
		return invalid("SameSite=None requires Secure cookies (browsers reject it otherwise); unset InsecureCookies")
	}
	if c.Partitioned && c.InsecureCookies {
		return invalid("Partitioned requires Secure cookies; unset InsecureCookies")
	}
	return nil
}

// prefixRules checks the cookie prefixes (RFC 6265bis): browsers silently
// drop a cookie that breaks its prefix's rules, so every save would be
// lost.
func (c *Config) prefixRules() error {
	if strings.HasPrefix(c.CookieName, "__Secure-") && c.InsecureCookies {
		return invalid("CookieName %q needs Secure cookies; unset InsecureCookies", c.CookieName)
	}
	if strings.HasPrefix(c.CookieName, "__Host-") && (c.InsecureCookies || c.Domain != "" || c.Path != "/") {
		return invalid("CookieName %q needs Secure cookies, Path \"/\" and no Domain", c.CookieName)
	}
	return nil
}

// lifetimeDefaults checks and fills in the idle age and absolute lifetime,
// and that the Revoker keeps its entries long enough.
func (c *Config) lifetimeDefaults() error {
	if c.CookieAge < 0 || c.AbsoluteLifetime < 0 {
		return invalid("CookieAge and AbsoluteLifetime must not be negative")
	}
	if c.CookieAge == 0 {
		c.CookieAge = DefaultCookieAge
	}
	if c.AbsoluteLifetime == 0 {
		c.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
	if c.CookieAge > c.AbsoluteLifetime {
		return invalid("CookieAge %v exceeds AbsoluteLifetime %v", c.CookieAge, c.AbsoluteLifetime)
	}
	if lt, ok := c.Revoker.(lifetimer); ok && lt.AbsoluteLifetime() < c.AbsoluteLifetime {
		return invalid("the Revoker keeps entries for %v, less than AbsoluteLifetime %v: revoked sessions would come back; give both the same absolute lifetime", lt.AbsoluteLifetime(), c.AbsoluteLifetime)
	}
	return nil
}

// validCookieName reports whether name is an RFC 7230 token.
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validAttr reports whether v can go into a cookie attribute.
func validAttr(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == ';' {
			return false
		}
	}
	return true
}
