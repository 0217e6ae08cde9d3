package natsrepl

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// Defaults for the zero values of Config's fields.
const (
	DefaultStream        = "SEALED_REVOCATIONS"
	DefaultSubjectPrefix = "sealed.revocations"
	// DefaultMaxAge is the revocation store's default absolute session
	// lifetime (30 days) plus a day's grace: no event older than that can
	// still match a live cookie. Start uses the store's own lifetime plus
	// the same grace when Config.MaxAge is zero.
	DefaultMaxAge    = revocation.DefaultAbsoluteLifetime + maxAgeGrace
	maxAgeGrace      = 24 * time.Hour
	DefaultStaleness = 30 * time.Second
	DefaultHeartbeat = time.Second
	// DefaultDegradedAfter is Config.DegradedAfter's default.
	DefaultDegradedAfter = 5 * time.Second
)

// Limits on Config.Heartbeat: nats.go refuses idle heartbeats outside
// 500ms..30s, and a refused value at run time would become an endless
// restart loop, so Start refuses it instead.
const (
	MinHeartbeat = 500 * time.Millisecond
	MaxHeartbeat = 30 * time.Second
)

// requestTimeout bounds every JetStream API request (stream info, consumer
// creation) and every publish acknowledgement wait.
const requestTimeout = 2 * time.Second

// Errors callers can branch on with errors.Is.
var (
	// ErrInvalidConfig: Config is unusable; the message names the field.
	ErrInvalidConfig = errors.New("natsrepl: invalid config")
	// ErrStreamMismatch: the stream exists with settings other than the
	// Config asks for; the message names every difference.
	ErrStreamMismatch = errors.New("natsrepl: stream config mismatch")
	// ErrStale: Revoked was asked while the replica is stale or still
	// catching up and Config.FailClosedWhenStale is set, or before the
	// first catch-up (then the error also wraps ErrNotCaughtUp).
	ErrStale = errors.New("natsrepl: revocation list is stale")
	// ErrNotCaughtUp: Revoked was asked before the replica caught up with
	// the stream once since Start (and Config.InsecureServeBeforeCatchUp
	// is off): revocations made elsewhere while this instance was down
	// may not be applied yet.
	ErrNotCaughtUp = errors.New("natsrepl: not caught up with the stream since start")
	// ErrClosed: the Replicator was closed.
	ErrClosed = errors.New("natsrepl: closed")
)

// Config configures a Replicator. The zero value of each field is its
// documented default. Start copies and validates it; it can't change
// afterwards.
type Config struct {
	// URL is the NATS server URL, or several comma-separated, as
	// nats.Connect takes them. Required unless Conn is set.
	URL string
	// Options are extra nats.Connect options: credentials, TLS, etc. They
	// are applied after natsrepl's own (name, unlimited reconnects with
	// the jittered backoff of the consumer's restarts, retrying through
	// authentication errors, error handlers routed to Logger and Health),
	// so they can override them: one that limits reconnects, or drops
	// nats.IgnoreAuthErrorAbort, lets the connection close for good.
	Options []nats.Option
	// Conn is an existing connection to use instead of URL. Close does not
	// close it, and its reconnect behaviour is the caller's business:
	// natsrepl's retrying applies only to a connection Start dials. By
	// default nats.go closes a connection for good after the same
	// authentication error twice (credentials revoked, say), and a closed
	// Conn stops replication until the caller replaces it (Health.NATS
	// says "closed"); nats.MaxReconnects(-1) and nats.IgnoreAuthErrorAbort
	// keep it retrying instead.
	Conn *nats.Conn
	// Stream is the JetStream stream name; default "SEALED_REVOCATIONS".
	Stream string
	// SubjectPrefix is the subject prefix; events go to PREFIX.session,
	// PREFIX.user and PREFIX.all, the login registry's to PREFIX.login,
	// and the stream captures PREFIX.>. Default
	// "sealed.revocations".
	SubjectPrefix string
	// Replicas is the stream's replica count (1..5); default 1. Use 3 on a
	// three-node cluster so that losing one server loses no event.
	Replicas int
	// MaxAge is how long the stream keeps an event; default the store's
	// absolute lifetime plus a day (31 days for the default 30). Start
	// refuses one shorter than the store's AbsoluteLifetime: an instance
	// away for longer than MaxAge
	// misses events that aged out, harmless only if they can no longer
	// match a live cookie.
	MaxAge time.Duration
	// Node names this instance in logs and in the connection name; default
	// the hostname. Must be unique per instance.
	Node string
	// Staleness is how long the replica may go without contact with the
	// stream before it reports itself stale; default 30s.
	Staleness time.Duration
	// FailClosedWhenStale makes Revoked return ErrStale, after the first
	// catch-up, while the replica is stale or catching up again (after a
	// stream reset); a sessions.Manager then refuses sessions (fails
	// closed) rather than serve with a list that may miss revocations.
	// Default off: a stale replica still answers from what it has, and
	// says so in Health. (Before the first catch-up, see
	// InsecureServeBeforeCatchUp.)
	FailClosedWhenStale bool
	// Keys returns the keyring in use (a *keyring.Watcher's Keyring method,
	// or a func returning a fixed ring); required. Every event published
	// carries a MAC under the ring's primary key (keyring.SignEvent), and
	// the replica applies only events whose MAC verifies under a key of
	// the ring it returns at the time (primary or enabled); every other
	// message on the stream is dropped, counted in Health.RejectedEvents
	// and logged. Holding the NATS credentials alone thus no longer lets
	// anyone revoke anything.
	Keys func() *keyring.Keyring
	// InsecureServeBeforeCatchUp lets Revoked answer from the local list
	// before the replica has caught up with the stream once since Start.
	// Default off: until then Revoked returns an error wrapping
	// ErrNotCaughtUp for every session the list does not already refuse,
	// since one revoked elsewhere while this instance was down would
	// otherwise be served (fail closed).
	InsecureServeBeforeCatchUp bool
	// DegradedAfter is how long the oldest outbox event may wait before
	// Health says StateDegraded; default 5s.
	DegradedAfter time.Duration
	// Heartbeat is the consumer's idle heartbeat: a server that dies is
	// noticed after two missed heartbeats. 500ms..30s; default 1s.
	Heartbeat time.Duration
	// Logger receives replication events and nats.go's asynchronous
	// errors; default slog.Default().
	Logger *slog.Logger
	// Now is the clock for staleness; default time.Now.
	Now func() time.Time
	// SnapshotEvery is how often this instance publishes a snapshot of
	// the list to the object store bucket SnapshotBucket(Stream), so that
	// a new or long-away instance loads it and replays only the stream's
	// tail; default DefaultSnapshotEvery, negative never (joining from
	// others' snapshots still works). Any instance may publish: a joiner
	// takes the newest that verifies.
	SnapshotEvery time.Duration
	// ReplayWholeStream makes a new replica replay the stream from its
	// first event rather than join from a snapshot: for a reader that
	// needs every event the stream still holds, such as sealctl sessions
	// list, since a snapshot made by an instance whose login registry is
	// off carries no logins. Slower to catch up; the list is the same.
	ReplayWholeStream bool
}

// withDefaults returns cfg with defaults filled in for a store with the
// default absolute lifetime; see forStore.
func (cfg Config) withDefaults() (Config, error) {
	return cfg.forStore(revocation.DefaultAbsoluteLifetime)
}

// forStore returns cfg with defaults filled in for a store whose absolute
// lifetime is life (MaxAge: life plus a day's grace), or an error wrapping
// ErrInvalidConfig that names the bad field.
func (cfg Config) forStore(life time.Duration) (Config, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = life + maxAgeGrace
	}
	if cfg.Staleness == 0 {
		cfg.Staleness = DefaultStaleness
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.DegradedAfter == 0 {
		cfg.DegradedAfter = DefaultDegradedAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = DefaultSnapshotEvery
	}
	if cfg.Node == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			return cfg, fmt.Errorf("%w: Node is empty and the hostname is unknown (%v); set Config.Node", ErrInvalidConfig, err)
		}
		cfg.Node = h
	}
	switch {
	case strings.ContainsAny(cfg.Stream, " \t\r\n.*>/\\"):
		return cfg, fmt.Errorf("%w: Stream %q: a stream name can't contain spaces, '.', '*', '>', '/' or '\\'", ErrInvalidConfig, cfg.Stream)
	case !validSubjectPrefix(cfg.SubjectPrefix):
		return cfg, fmt.Errorf("%w: SubjectPrefix %q: want dot-separated tokens without wildcards or spaces, e.g. %q", ErrInvalidConfig, cfg.SubjectPrefix, DefaultSubjectPrefix)
	case cfg.Replicas < 1 || cfg.Replicas > 5:
		return cfg, fmt.Errorf("%w: Replicas %d: want 1..5", ErrInvalidConfig, cfg.Replicas)
	case cfg.MaxAge < time.Hour:
		return cfg, fmt.Errorf("%w: MaxAge %v: want at least the store's absolute session lifetime (default %v)", ErrInvalidConfig, cfg.MaxAge, life+maxAgeGrace)
	case cfg.DegradedAfter < 0:
		return cfg, fmt.Errorf("%w: DegradedAfter %v is negative", ErrInvalidConfig, cfg.DegradedAfter)
	case cfg.Staleness < 0:
		return cfg, fmt.Errorf("%w: Staleness %v is negative", ErrInvalidConfig, cfg.Staleness)
	case cfg.Heartbeat < MinHeartbeat || cfg.Heartbeat > MaxHeartbeat:
		return cfg, fmt.Errorf("%w: Heartbeat %v: nats.go accepts %v..%v", ErrInvalidConfig, cfg.Heartbeat, MinHeartbeat, MaxHeartbeat)
	case cfg.Staleness <= 2*cfg.Heartbeat:
		return cfg, fmt.Errorf("%w: Staleness %v must exceed two heartbeats (%v)", ErrInvalidConfig, cfg.Staleness, 2*cfg.Heartbeat)
	}
	return cfg, nil
}

func validSubjectPrefix(p string) bool {
	if p == "" || strings.ContainsAny(p, " \t\r\n*>") {
		return false
	}
	for tok := range strings.SplitSeq(p, ".") {
		if tok == "" {
			return false
		}
	}
	return true
}

// streamConfig is the stream natsrepl creates and expects.
func (cfg Config) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "sealed revocation events (github.com/sealedsessions/sealed/revocation/natsrepl)",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  2 * time.Minute,
	}
}

// mismatch names every difference between an existing stream's config and
// the one cfg asks for; empty when they agree on what matters.
func (cfg Config) mismatch(got jetstream.StreamConfig) []string {
	want := cfg.streamConfig()
	var diffs []string
	if !slices.Equal(got.Subjects, want.Subjects) {
		diffs = append(diffs, fmt.Sprintf("subjects %q, want %q", got.Subjects, want.Subjects))
	}
	if got.MaxAge != want.MaxAge {
		diffs = append(diffs, fmt.Sprintf("max age %v, want %v", got.MaxAge, want.MaxAge))
	}
	if got.Storage != want.Storage {
		diffs = append(diffs, fmt.Sprintf("storage %v, want %v", got.Storage, want.Storage))
	}
	if got.Replicas != want.Replicas {
		diffs = append(diffs, fmt.Sprintf("replicas %d, want %d", got.Replicas, want.Replicas))
	}
	if got.Retention != want.Retention {
		diffs = append(diffs, fmt.Sprintf("retention %v, want %v", got.Retention, want.Retention))
	}
	return diffs
}

// RedactURL returns a NATS URL list (comma-separated, as Config.URL) fit
// for logs and error messages: user information (a user and password, or
// a token) in any URL is replaced by "redacted".
func RedactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.Contains(p, "://") {
			// As nats.Connect reads it: "u:p@host" is user u, password p.
			p = "nats://" + p
		}
		u, err := url.Parse(p)
		switch {
		case err != nil:
			if strings.Contains(p, "@") {
				parts[i] = "(unparsable URL with user information)"
			}
		case u.User != nil:
			u.User = url.User("redacted")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
