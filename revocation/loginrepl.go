package revocation

import (
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Replication of the login registry: a login recorded with Config.Outbox
// on leaves in the outbox as a KindLogin event, and Apply records the
// KindLogin events of other instances, as AddLogin does, in the registry
// (if it is on here).

// loginEvent returns the event of login l (its ID and origin not yet set).
func loginEvent(l *Login) Event {
	return Event{Kind: KindLogin, Session: l.Session, User: l.User, At: l.Created, Device: l.Device, Bound: l.Bound}
}

// loginOf returns the login of a KindLogin event.
func loginOf(ev *Event) Login {
	return Login{Session: ev.Session, User: ev.User, Created: ev.At, Device: ev.Device, Bound: ev.Bound}
}

// writeLogin writes the entry of l, and with Config.Outbox its event's
// outbox record, in one synced transaction, then adds l to the registry in
// memory and drops what it pushes out. Called with the store's write
// guard held, for a live login.
func (s *Store) writeLogin(l Login) error {
	var rec []byte
	var seq uint64
	var ev Event
	if s.cfg.Outbox {
		var err error
		if ev, err = loginEvent(&l).made(s.cfg.Node); err != nil {
			return err
		}
		if rec, err = ev.MarshalBinary(); err != nil {
			return err
		}
		seq = s.out.nextSeq()
	}
	err := s.putLogins([]Login{l}, func(txn *badger.Txn) error {
		if rec == nil {
			return nil
		}
		return txn.Set(outboxKey(seq), rec)
	})
	if err != nil {
		return err
	}
	if rec != nil {
		s.out.add(ev.ID, seq)
	}
	return nil
}

// applyLogins records the logins of replicated KindLogin events: none with
// the registry off; those already revoked or past their lifetime neither.
// Called with the store's write guard held.
func (s *Store) applyLogins(ls []Login) error {
	if s.logins.perUser == 0 || len(ls) == 0 {
		return nil
	}
	now := s.now()
	live := ls[:0]
	for _, l := range ls {
		if s.loginAlive(&l, now) {
			live = append(live, l)
		}
	}
	const chunk = 256 // entries a transaction, far below Badger's limit
	for len(live) > 0 {
		part := live[:min(chunk, len(live))]
		live = live[len(part):]
		if err := s.putLogins(part, nil); err != nil {
			return err
		}
	}
	return nil
}

// putLogins writes the entries of ls, and whatever extra writes, in one
// synced transaction, then adds ls to the registry in memory and deletes
// the entries they push out.
func (s *Store) putLogins(ls []Login, extra func(*badger.Txn) error) error {
	err := s.update(func(txn *badger.Txn) error {
		for i := range ls {
			l := &ls[i]
			exp := l.Created.Add(s.cfg.AbsoluteLifetime).UnixNano()
			expSec := (exp + int64(time.Second) - 1) / int64(time.Second)
			if err := txn.SetEntry(&badger.Entry{Key: loginKey(l), Value: loginValue(l), ExpiresAt: uint64(expSec)}); err != nil {
				return err
			}
		}
		if extra != nil {
			return extra(txn)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var dropped []Login
	for _, l := range ls {
		dropped = append(dropped, s.logins.add(l)...)
	}
	return s.deleteLogins(dropped)
}
