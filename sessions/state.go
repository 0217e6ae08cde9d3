package sessions

// A Session's state is two small enums: where it came from (origin) and
// what has happened to it since it was loaded or last committed to the
// response (status). Manager.commit decides from them, in one switch,
// whether the response writes a cookie, deletes one, or leaves it alone.

// origin says what the request brought, as Load found it.
type origin uint8

const (
	// originNone: no cookie of the Manager's name; a new session.
	originNone origin = iota
	// originRefused: one or more cookies of the name, none of which passed
	// every check, or chunk cookies without one (chunk.go); a new session.
	// A response that writes no cookie deletes it (Session.dropRefused), so
	// the browser stops sending it, unless the revocation list failed (fail
	// closed refuses the cookie, but it may be valid), one was revoked (a
	// racing response may have just replaced it) or more cookies of the
	// name came than were tried.
	originRefused
	// originOpened: a valid cookie, sealed under the primary key (or
	// re-sealed under it by this response).
	originOpened
	// originOldKey: a valid cookie sealed under a key that is no longer
	// the primary. The next save re-seals it even if unmodified, and
	// counts in Stats.Resealed; the origin is then originOpened, as after
	// an expired save deletes the cookie.
	originOldKey
)

// loaded reports whether a valid cookie was loaded: the session is not
// new.
func (o origin) loaded() bool { return o == originOpened || o == originOldKey }

// status says what has happened to a session since it was loaded or last
// committed. The first four keep an ID that a cookie carries (or carried:
// copies may live on, so retiring it revokes it); the last three have a
// new ID that no cookie carries yet.
type status uint8

const (
	// statusUnmodified: loaded from a valid cookie, unchanged.
	statusUnmodified status = iota
	// statusModified: its data, user or expiry changed; same ID.
	statusModified
	// statusSaved: its cookie is in the response; unchanged since.
	statusSaved
	// statusExpired: committed with an expiry already past: its ID was
	// revoked and the response deletes its cookie; unchanged since.
	statusExpired
	// statusBlank: a new ID with nothing worth a cookie: a new session,
	// or one whose flush or cycle left it empty and was committed.
	statusBlank
	// statusCycled: a new ID with something to write: a new session that
	// was written to, or one whose ID CycleID or Login replaced.
	statusCycled
	// statusFlushed: a new ID whose data Flush, Logout or Login of another
	// user dropped. Left empty, the response deletes the incoming cookie.
	statusFlushed
)

// issued reports whether a cookie carries the session's ID: a retired ID
// must then be revoked.
func (st status) issued() bool { return st <= statusExpired }

// modified reports whether the session changed since it was loaded or
// last committed: Django's SessionBase.modified.
func (st status) modified() bool {
	return st == statusModified || st == statusCycled || st == statusFlushed
}

// withChange is st after a change to the data, user or expiry that keeps
// the ID.
func (st status) withChange() status {
	switch st {
	case statusUnmodified, statusSaved, statusExpired:
		return statusModified
	case statusBlank:
		return statusCycled
	}
	return st // modified, cycled or flushed already
}

// withNewID is st after a new ID that keeps the data (CycleID, Login): a
// flushed session stays flushed.
func (st status) withNewID() status {
	if st == statusFlushed {
		return st
	}
	return statusCycled
}
