package natsrepl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/internal/lograte"
	"github.com/sealedsessions/sealed/revocation"
)

// Store is what a Replicator needs of the local revocation list;
// *revocation.Store is one.
type Store interface {
	// The list itself: the Replicator's sessions.Revoker methods forward
	// to these.
	Revoked(id [16]byte, userID string, created time.Time) (bool, error)
	RevokeSession(ctx context.Context, id [16]byte, until time.Time) error
	RevokeUser(ctx context.Context, userID string, at time.Time) error
	RevokeAll(ctx context.Context, at time.Time) error
	AbsoluteLifetime() time.Duration

	// Publishing: the outbox of local events, drained to the stream.
	OutboxEnabled() bool
	OutboxReady() <-chan struct{}
	Outbox(ctx context.Context, max int) ([]revocation.Event, error)
	AckOutbox(ctx context.Context, ids ...[16]byte) error
	// RepublishLive queues every live entry in the outbox, after the
	// stream was lost (see revocation.Store.RepublishLive).
	RepublishLive(ctx context.Context, batch int, every time.Duration) (int, error)

	// Consuming: events from the stream, applied with the stream position.
	Apply(ctx context.Context, events []revocation.Event, cur revocation.Cursor) error
	Cursor(name string) ([]byte, error)

	// Stats reports, among others, the outbox depth for Health.
	Stats() revocation.Stats
}

// Replicator carries a revocation.Store's events to and from a JetStream
// stream. It satisfies sessions.Revoker: hand it to a sessions.Manager in
// place of the Store. Start one per Store; Close it before the Store.
type Replicator struct {
	cfg   Config
	store Store
	log   *slog.Logger
	nc    *nats.Conn
	ownNC bool // nc was dialled by Start and is closed by Close
	js    jetstream.JetStream

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Read on the request path without locks.
	caughtUpOnce atomic.Bool // caught up at least once since Start
	caughtUp     atomic.Bool
	lastContact  atomic.Int64 // cfg.Now() in Unix nanoseconds when the replica last held everything the stream did; 0 never
	closed       atomic.Bool
	// consumerLive: a consumer is running. Contact counts only then, so an
	// instance whose consumer can't run goes stale even if the stream
	// answers.
	consumerLive atomic.Bool
	rejected     atomic.Uint64                   // stream messages dropped: not verified or not events
	republished  atomic.Uint64                   // events queued by RepublishLive after stream losses
	snapRejected atomic.Uint64                   // snapshots ignored: not verified, another stream, too new
	rejects      rejectedSeqs                    // which stream messages rejected counts already; consume loop only
	rejectLog    [numRejectReasons]lograte.Limit // one Warn line per reason per second
	connErr      atomic.Value                    // string: the connection's last error, from the handlers Start installs

	statusCh    chan nats.Status // reconnects, for restarting the consumer
	pubStatusCh chan nats.Status // reconnects, for retrying the publisher at once
	msgs        chan delivery    // consumer callback -> consume loop
	probeCh     chan probeResult // probe loop -> consume loop
	republishCh chan struct{}    // consume loop -> republish loop; capacity 1
	cursorKey   string

	mu       sync.Mutex
	state    replState
	progress chan struct{} // closed and replaced whenever state.applied changes

	delays revocation.Latencies // propagation delays (delay.go)
}

// replState is what the consume loop knows, copied out by Health.
type replState struct {
	applied    uint64    // last stream sequence applied to the store
	created    time.Time // creation time of the stream applied is a position in
	streamLast uint64    // stream's last sequence as last seen
	missed     bool      // events aged out of the stream before they were applied
	resets     int       // times the stream was found deleted or recreated
	purgeSeen  uint64    // last sequence of a purged stream already handled as a reset
	joinedFrom uint64    // sequence of the snapshot this replica joined from; 0 none
	reason     string    // why the consumer last restarted, "" once running
	publishErr string
}

// delivery is one message handed from the consumer callback to the loop.
type delivery struct {
	gen       uint64
	streamSeq uint64
	consSeq   uint64
	pending   uint64
	subject   string
	header    nats.Header
	data      []byte
	at        int64 // cfg.Now() when it arrived, Unix nanoseconds
}

type probeResult struct {
	info    *jetstream.StreamInfo
	err     error
	at      int64  // cfg.Now() when the probe asked, Unix nanoseconds
	lastMsg uint64 // sequence of the stream's last message, if asked (0 if not)
	// The position when the probe asked: the stream then held at least
	// up to applied, while the consume loop may have applied more since.
	applied uint64
	created time.Time
}

// Start connects to NATS (or uses cfg.Conn), creates the stream if it is
// missing or verifies it if it exists, and starts the background publisher
// (outbox to stream) and consumer (stream to store). The store must have
// been opened with revocation.Config.Outbox set.
//
// Start fails on a bad Config and on a stream whose settings differ
// (ErrStreamMismatch). If NATS can't be reached within ctx (or 2 s), Start
// still returns a Replicator that keeps trying in the background and reports
// itself unhealthy until it has caught up.
func Start(ctx context.Context, store Store, cfg Config) (*Replicator, error) {
	cfg, err := startConfig(store, cfg)
	if err != nil {
		return nil, err
	}
	r := &Replicator{
		cfg:         cfg,
		store:       store,
		log:         cfg.Logger.With("component", "natsrepl", "node", cfg.Node, "stream", cfg.Stream),
		msgs:        make(chan delivery, 1024),
		probeCh:     make(chan probeResult, 1),
		republishCh: make(chan struct{}, 1),
		cursorKey:   PositionName(cfg.Stream),
		progress:    make(chan struct{}),
	}
	if err := r.loadPosition(); err != nil {
		return nil, err
	}
	if err := r.connect(); err != nil {
		return nil, err
	}
	// First contact: a mismatched stream is a configuration error the
	// operator must see now; an unreachable server is an outage to ride out.
	sctx, scancel := context.WithTimeout(ctx, requestTimeout)
	_, err = r.ensureStream(sctx)
	scancel()
	if errors.Is(err, ErrStreamMismatch) {
		r.closeConn()
		return nil, err
	}
	if err != nil {
		r.log.Warn("natsrepl: stream not reachable at start; retrying in the background", "err", err)
	}

	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.statusCh = r.nc.StatusChanged(nats.CONNECTED)
	r.pubStatusCh = r.nc.StatusChanged(nats.CONNECTED)
	r.wg.Add(4)
	go r.publishLoop()
	go r.consumeLoop()
	go r.probeLoop()
	go r.republishLoop()
	if _, ok := store.(exporter); ok && cfg.SnapshotEvery > 0 {
		r.wg.Add(1)
		go r.snapshotLoop()
	}
	return r, nil
}

// startConfig checks the store and returns cfg with defaults for it.
func startConfig(store Store, cfg Config) (Config, error) {
	if store == nil {
		return cfg, fmt.Errorf("%w: nil store", ErrInvalidConfig)
	}
	if !store.OutboxEnabled() {
		return cfg, fmt.Errorf("%w: the store was opened without revocation.Config.Outbox; its local revocations would never be published", ErrInvalidConfig)
	}
	life := store.AbsoluteLifetime()
	if cfg.MaxAge != 0 && cfg.MaxAge < life {
		return cfg, fmt.Errorf("%w: MaxAge %v is shorter than the store's absolute lifetime %v: an instance away that long would miss revocations that still matter", ErrInvalidConfig, cfg.MaxAge, life)
	}
	cfg, err := cfg.forStore(life)
	if err != nil {
		return cfg, err
	}
	if cfg.URL == "" && cfg.Conn == nil {
		return cfg, fmt.Errorf("%w: set URL or Conn", ErrInvalidConfig)
	}
	if _, err := cfg.keys(); errors.Is(err, errNoRing) {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	} else if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// loadPosition reads the stream position stored in the store.
func (r *Replicator) loadPosition() error {
	cur, err := r.store.Cursor(r.cursorKey)
	if err != nil {
		return fmt.Errorf("natsrepl: start: read cursor: %w", err)
	}
	if cur == nil {
		return nil
	}
	seq, created, err := decodeCursor(cur)
	if err != nil {
		// A cursor we can't read is replaced: replaying the stream
		// from its start is safe, events apply idempotently.
		r.log.Warn("natsrepl: unreadable stored position, replaying the stream from its start", "err", err)
		return nil
	}
	r.state.applied, r.state.created = seq, created
	return nil
}

// connect dials NATS (or takes Config.Conn) and opens JetStream.
func (r *Replicator) connect() error {
	var err error
	if r.cfg.Conn != nil {
		r.nc = r.cfg.Conn
	} else {
		r.nc, err = nats.Connect(r.cfg.URL, r.natsOptions()...)
		if err != nil {
			return fmt.Errorf("natsrepl: start: connect to %s: %w", RedactURL(r.cfg.URL), err)
		}
		r.ownNC = true
	}
	r.js, err = jetstream.New(r.nc,
		jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(requestTimeout),
		jetstream.WithDefaultTimeout(requestTimeout),
	)
	if err != nil {
		r.closeConn()
		return fmt.Errorf("natsrepl: start: %w", err)
	}
	return nil
}

// natsOptions are natsrepl's connection options followed by the caller's.
func (r *Replicator) natsOptions() []nats.Option {
	log := r.log
	opts := []nats.Option{
		nats.Name("sealed-natsrepl " + r.cfg.Node),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		// Credentials refused (revoked, then fixed) are an outage like
		// any other: without this nats.go closes the connection for good
		// after the same authentication error twice.
		nats.IgnoreAuthErrorAbort(),
		nats.CustomReconnectDelay(reconnectDelay),
		nats.Timeout(requestTimeout),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(2),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Warn("natsrepl: nats async error", "subject", sub.Subject, "err", err)
				return
			}
			r.connErr.Store(err.Error()) // a refused login, among others
			log.Warn("natsrepl: nats async error", "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			r.connErr.Store("")
			if err != nil {
				r.connErr.Store(err.Error())
				log.Warn("natsrepl: disconnected from nats", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			r.connErr.Store("")
			log.Info("natsrepl: reconnected to nats", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if !r.closed.Load() { // only if Config.Options gave up reconnecting
				log.Error("natsrepl: nats connection closed for good; replication stops until restart", "err", nc.LastError())
			}
		}),
	}
	return append(opts, r.cfg.Options...)
}

func (r *Replicator) closeConn() {
	if r.ownNC {
		r.nc.Close()
	} else if r.js != nil {
		r.js.CleanupPublisher()
	}
}

// Close stops the publisher and the consumer, waits for their goroutines,
// and closes the connection Start dialled (not Config.Conn). Events still
// in the outbox stay there and are published by the next Start. It does not
// close the store. Closing twice returns nil.
func (r *Replicator) Close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	r.cancel()
	r.wg.Wait()
	r.nc.RemoveStatusListener(r.statusCh)
	r.nc.RemoveStatusListener(r.pubStatusCh)
	r.closeConn()
	return nil
}

// Made once: Revoked allocates nothing, even while failing closed.
var (
	errNotCaughtUp = fmt.Errorf("%w (%w)", ErrNotCaughtUp, ErrStale)
	errCatchingUp  = fmt.Errorf("%w: catching up with the stream again after a reset", ErrStale)
	errNoContact   = fmt.Errorf("%w: no contact with the stream for longer than the staleness bound", ErrStale)
)

// Revoked reports whether the session is revoked, from the store's memory.
// A session the store lists as revoked is revoked. For any other, until
// the replica has caught up once since Start it returns an error wrapping
// ErrNotCaughtUp (unless Config.InsecureServeBeforeCatchUp), and with
// Config.FailClosedWhenStale it returns ErrStale while the replica is
// stale or catching up again: the caller (a sessions.Manager) then fails
// closed.
func (r *Replicator) Revoked(id [16]byte, userID string, created time.Time) (bool, error) {
	if r.cfg.InsecureServeBeforeCatchUp && !r.cfg.FailClosedWhenStale {
		return r.store.Revoked(id, userID, created)
	}
	// Freshness is read before the store: contact means the store already
	// held the stream's events, so a store read after it sees them. Read
	// after the store, a batch applied in between would make a lookup that
	// missed it look fresh.
	refuse := r.refusal()
	dead, err := r.store.Revoked(id, userID, created)
	if dead || err != nil {
		return dead, err
	}
	return false, refuse
}

// refusal says why Revoked must not answer "not revoked" now, or nil.
func (r *Replicator) refusal() error {
	switch {
	case r.closed.Load():
		return ErrClosed
	case !r.caughtUpOnce.Load() && !r.cfg.InsecureServeBeforeCatchUp:
		return errNotCaughtUp
	case !r.cfg.FailClosedWhenStale:
		return nil
	case !r.caughtUp.Load():
		return errCatchingUp
	case isStale(r.cfg.Now().UnixNano()-r.lastContact.Load(), r.cfg.Staleness):
		return errNoContact
	}
	return nil
}

// AbsoluteLifetime returns the store's absolute lifetime, so that
// sessions.New can check it against its own.
func (r *Replicator) AbsoluteLifetime() time.Duration { return r.store.AbsoluteLifetime() }

// RevokeSession revokes the session in the store (which records the event
// in its outbox in the same transaction) and wakes the publisher. The
// revocation is in force locally when it returns, even if NATS is down.
func (r *Replicator) RevokeSession(ctx context.Context, id [16]byte, until time.Time) error {
	return r.store.RevokeSession(ctx, id, until)
}

// RevokeUser revokes every session of userID created at or before at; see
// RevokeSession.
func (r *Replicator) RevokeUser(ctx context.Context, userID string, at time.Time) error {
	return r.store.RevokeUser(ctx, userID, at)
}

// RevokeAll revokes every session created at or before at; see
// RevokeSession.
func (r *Replicator) RevokeAll(ctx context.Context, at time.Time) error {
	return r.store.RevokeAll(ctx, at)
}

// WaitCaughtUp blocks until the replica has applied every event the stream
// held when it was called, or ctx ends.
func (r *Replicator) WaitCaughtUp(ctx context.Context) error {
	var target uint64
	var created time.Time
	for {
		if r.closed.Load() {
			return ErrClosed
		}
		ictx, cancel := context.WithTimeout(ctx, requestTimeout)
		s, err := r.js.Stream(ictx, r.cfg.Stream)
		if err == nil {
			info := s.CachedInfo()
			target, created = info.State.LastSeq, info.Created
			if info.State.Msgs > 0 {
				// Messages deleted at the tail can never be applied: the
				// last one left is the target.
				if m, err := s.GetLastMsgForSubject(ictx, r.cfg.SubjectPrefix+".>"); err == nil {
					target = m.Sequence
				}
			}
			cancel()
			break
		}
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("natsrepl: wait caught up: %w (last error: %v)", ctx.Err(), err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	for {
		r.mu.Lock()
		st := r.state
		progress := r.progress
		r.mu.Unlock()
		// A position in another (recreated) stream doesn't count.
		if st.created.Equal(created) && st.applied >= target && r.caughtUp.Load() {
			return nil
		}
		if r.closed.Load() {
			return ErrClosed
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsrepl: wait caught up: applied %d of %d: %w", st.applied, target, ctx.Err())
		case <-progress:
		case <-time.After(100 * time.Millisecond): // also notices a recreated stream
		}
	}
}

// touchAt records that at (cfg.Now() in Unix nanoseconds) everything the
// stream held has been applied, if a consumer is running. The latest
// report wins even if its time is earlier: after the clock steps back, a
// contact time from before the step would otherwise keep the replica
// fresh for the size of the step (an older probe's time only makes it
// look staler, which is safe).
func (r *Replicator) touchAt(at int64) {
	if !r.consumerLive.Load() {
		return
	}
	r.lastContact.Store(at)
}

func (r *Replicator) setReason(s string) {
	r.mu.Lock()
	r.state.reason = s
	r.mu.Unlock()
}
