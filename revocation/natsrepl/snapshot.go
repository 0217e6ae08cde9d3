package natsrepl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// DefaultSnapshotEvery is how often an instance publishes a snapshot of
// the list by default (Config.SnapshotEvery).
const DefaultSnapshotEvery = time.Hour

// snapSeqMeta is the object metadata key holding a snapshot's sequence,
// unauthenticated: it only orders the candidates, whose signed body says
// the same or is refused.
const snapSeqMeta = "sealed-seq"

// ErrNoExport means the Store given to Start can't export its list
// (it lacks revocation.Store's ExportLive), so no snapshot can be made.
var ErrNoExport = errors.New("natsrepl: the store can't export its list for a snapshot")

// exporter is the optional Store method a snapshot needs;
// *revocation.Store has it.
type exporter interface {
	ExportLive(ctx context.Context) ([]revocation.Event, error)
}

// SnapshotBucket is the JetStream object store bucket where instances of
// the stream named stream publish their snapshots of the list.
func SnapshotBucket(stream string) string {
	if stream == "" {
		stream = DefaultStream
	}
	return stream + "_SNAPSHOTS"
}

// snapMACSubject stands in for the subject in a snapshot's MAC input
// (macInput). A NATS subject can't hold a NUL or a space, so no event's
// MAC input is ever a snapshot's, nor one stream's snapshot another's.
func snapMACSubject(stream string) string { return "\x00snapshot " + stream }

// PublishSnapshot publishes a snapshot of the list as this instance holds
// it, with the stream position it covers, under this instance's node name
// in SnapshotBucket, signed with the keyring's event key. Instances that
// join later load the newest one that verifies and replay only the
// stream's tail after it. The Replicator calls it every
// Config.SnapshotEvery; it does nothing before anything was applied.
func (r *Replicator) PublishSnapshot(ctx context.Context) error {
	ex, ok := r.store.(exporter)
	if !ok {
		return ErrNoExport
	}
	r.mu.Lock()
	seq, created := r.state.applied, r.state.created
	r.mu.Unlock()
	if seq == 0 || created.IsZero() {
		return nil
	}
	// Read after the position: the list holds at least every event up to it.
	enc, err := exportSnapshot(ctx, ex, newSnapEncoder(seq, created, r.cfg.Now(), sizeHint(r.store)))
	if err != nil {
		return err
	}
	body := enc.bytes()
	ring, err := r.cfg.keys()
	if err != nil {
		return fmt.Errorf("natsrepl: snapshot: %w", err)
	}
	msg := sign(ring, snapMACSubject(r.cfg.Stream), body)
	obs, err := r.snapshotStore(ctx, true)
	if err != nil {
		return err
	}
	meta := jetstream.ObjectMeta{Name: r.cfg.Node, Headers: msg.Header, Metadata: map[string]string{snapSeqMeta: strconv.FormatUint(seq, 10)}}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("natsrepl: snapshot: put: %w", err)
	}
	r.log.Info("natsrepl: published a snapshot of the list", "seq", seq, "entries", enc.n, "bytes", len(body))
	return nil
}

// liveStreamer is the Store method that exports the list one event at a
// time (revocation.Store.EachLive): a snapshot made with it holds only the
// encoded list, 25 bytes a session, not every entry as an event too.
type liveStreamer interface {
	EachLive(ctx context.Context, fn func(revocation.Event) error) error
}

// exportSnapshot encodes the store's live list into enc, one event at a
// time if the store can.
func exportSnapshot(ctx context.Context, ex exporter, enc *snapEncoder) (*snapEncoder, error) {
	if ls, ok := ex.(liveStreamer); ok {
		err := ls.EachLive(ctx, func(ev revocation.Event) error { return enc.add(&ev) })
		if err != nil {
			return nil, fmt.Errorf("natsrepl: snapshot: %w", err)
		}
		return enc, nil
	}
	evs, err := ex.ExportLive(ctx)
	if err != nil {
		return nil, fmt.Errorf("natsrepl: snapshot: %w", err)
	}
	for i := range evs {
		if err := enc.add(&evs[i]); err != nil {
			return nil, err
		}
	}
	return enc, nil
}

// sizeHint is about how many entries the store's list holds, if it says.
func sizeHint(store Store) int {
	if st, ok := store.(interface{ Stats() revocation.Stats }); ok {
		s := st.Stats()
		return s.Sessions + s.Users + 1
	}
	return 0
}

// snapshotStore opens the snapshot bucket, creating it if create.
func (r *Replicator) snapshotStore(ctx context.Context, create bool) (jetstream.ObjectStore, error) {
	bucket := SnapshotBucket(r.cfg.Stream)
	obs, err := r.js.ObjectStore(ctx, bucket)
	if create && errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = r.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: bucket, Description: "sealed natsrepl snapshots of stream " + r.cfg.Stream, Replicas: r.cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = r.js.ObjectStore(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsrepl: snapshot bucket %s: %w", bucket, err)
	}
	return obs, nil
}

// snapshotLoop publishes a snapshot every Config.SnapshotEvery.
func (r *Replicator) snapshotLoop() {
	defer r.wg.Done()
	r.every(r.cfg.SnapshotEvery, func() {
		if err := r.PublishSnapshot(r.ctx); err != nil && r.ctx.Err() == nil {
			r.log.Warn("natsrepl: publishing a snapshot of the list failed", "err", err)
		}
	})
}

// every calls fn every d until Close.
func (r *Replicator) every(d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}

// joinFromSnapshot starts a new or long-away replica (no position, or one
// older than the stream's first sequence) from the newest snapshot that
// verifies: it applies the snapshot's list and moves the position to the
// sequence it covers, so the consumer replays only the tail. A position in
// another stream is left to reconcile, which resets it.
func (r *Replicator) joinFromSnapshot(info *jetstream.StreamInfo) {
	r.mu.Lock()
	applied, created := r.state.applied, r.state.created
	r.mu.Unlock()
	fresh := applied == 0 && (created.IsZero() || created.Equal(info.Created))
	away := created.Equal(info.Created) && applied+1 < info.State.FirstSeq
	if !fresh && !away || info.State.LastSeq == 0 || r.cfg.ReplayWholeStream {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, snapFetchTimeout)
	sn, name, ok := r.loadSnapshot(ctx, info)
	cancel()
	if !ok || sn.seq <= applied {
		return
	}
	// Applying takes as long as the store needs to write the list (about
	// 6 s a million entries): no timeout but Close.
	if err := r.applySnapshot(r.ctx, sn, info.Created); err != nil {
		r.log.Warn("natsrepl: applying a snapshot failed; replaying the stream instead", "err", err)
		return
	}
	r.mu.Lock()
	r.state.applied, r.state.created = sn.seq, info.Created
	r.state.streamLast = max(r.state.streamLast, sn.seq)
	r.state.joinedFrom = sn.seq
	close(r.progress)
	r.progress = make(chan struct{})
	r.mu.Unlock()
	r.log.Info("natsrepl: joined from a snapshot; replaying the stream's tail", "from", name, "seq", sn.seq, "entries", sn.count)
}

// snapFetchTimeout bounds listing, fetching and checking the snapshots
// at a join: a snapshot of 10M entries is about 250 MB.
const snapFetchTimeout = 2 * time.Minute

// snapChunk is how many of a snapshot's events go in one store
// transaction: a few Badger transactions' worth, so that Apply does not
// first try them all at once and split.
const snapChunk = 5000

// applySnapshot applies sn's records in chunks, decoded one chunk at a
// time, the position (sn.seq in the stream created at created) with the
// last: a crash before it leaves the position where it was, and applying
// again changes nothing.
func (r *Replicator) applySnapshot(ctx context.Context, sn listSnapshot, created time.Time) error {
	return sn.each(snapChunk, func(evs []revocation.Event, last bool) error {
		cur := revocation.Cursor{}
		if last {
			cur = r.cursor(sn.seq, created)
		}
		return r.store.Apply(ctx, evs, cur)
	})
}

// loadSnapshot returns the newest snapshot in the bucket that verifies
// under the keyring and belongs to the stream info describes, with its
// object's name. Every other one is logged and counted.
func (r *Replicator) loadSnapshot(ctx context.Context, info *jetstream.StreamInfo) (listSnapshot, string, bool) {
	obs, err := r.snapshotStore(ctx, false)
	if err != nil {
		if !errors.Is(err, jetstream.ErrBucketNotFound) {
			r.log.Warn("natsrepl: no snapshot to join from", "err", err)
		}
		return listSnapshot{}, "", false
	}
	list, err := obs.List(ctx)
	if err != nil {
		if !errors.Is(err, jetstream.ErrNoObjectsFound) {
			r.log.Warn("natsrepl: listing snapshots failed", "err", err)
		}
		return listSnapshot{}, "", false
	}
	seqOf := func(oi *jetstream.ObjectInfo) uint64 {
		n, _ := strconv.ParseUint(oi.Metadata[snapSeqMeta], 10, 64)
		return n
	}
	sort.SliceStable(list, func(i, j int) bool { return seqOf(list[i]) > seqOf(list[j]) })
	ring, err := r.cfg.keys()
	if err != nil {
		r.log.Warn("natsrepl: can't verify snapshots", "err", err)
		return listSnapshot{}, "", false
	}
	for _, oi := range list {
		if oi.Deleted {
			continue
		}
		data, err := obs.GetBytes(ctx, oi.Name)
		var sn listSnapshot
		if err == nil {
			sn, err = checkSnapshot(ring, r.cfg.Stream, oi.Headers, data, info)
		}
		if err != nil {
			r.snapRejected.Add(1)
			r.log.Warn("natsrepl: ignoring a snapshot", "name", oi.Name, "key_id", oi.Headers.Get(HeaderKeyID), "reason", err)
			continue
		}
		return sn, oi.Name, true
	}
	return listSnapshot{}, "", false
}

// checkSnapshot verifies a snapshot's MAC, decodes it, and checks that it
// belongs to the stream info describes and covers no more than it holds.
func checkSnapshot(ring *keyring.Keyring, stream string, h nats.Header, data []byte, info *jetstream.StreamInfo) (listSnapshot, error) {
	if err := verify(ring, snapMACSubject(stream), h, data); err != nil {
		return listSnapshot{}, fmt.Errorf("does not verify under the keyring: %w", err)
	}
	sn, err := parseSnapshot(data) // records are decoded as they are applied
	switch {
	case err != nil:
		return sn, fmt.Errorf("signed, but %w", err)
	case !sn.created.Equal(info.Created):
		return sn, fmt.Errorf("made for the stream created %s, not this one (created %s)",
			sn.created.Format(time.RFC3339Nano), info.Created.UTC().Format(time.RFC3339Nano))
	case sn.seq > info.State.LastSeq:
		return sn, fmt.Errorf("covers sequence %d, past the stream's last %d", sn.seq, info.State.LastSeq)
	}
	return sn, nil
}
