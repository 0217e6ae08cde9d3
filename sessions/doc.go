// Package sessions keeps user sessions in encrypted cookies, with Django's
// session API, and makes logout real with a server-side revocation list.
//
// The session's data, bound user, creation and save times and custom
// expiry travel in one cookie (or, opted into, a few: see Sessions over
// several cookies) sealed by a [keyring.Keyring] (AES-256 and
// HMAC-SHA256 through gorilla/securecookie). Any instance holding the
// keyring can serve any request. On every request, after the cookie opens,
// the [Manager] asks its [Revoker] whether the session, its user or
// everything was revoked; Flush, CycleID, Login and Logout record the old
// session ID there, so a copied cookie stops working at once.
//
// # Usage
//
// Build one Manager at start-up and wrap the handlers:
//
//	keys, err := keyring.Watch("keyring.json", keyring.WatchOptions{})
//	store, err := revocation.Open("data/revocation", revocation.Config{})
//	m, err := sessions.New(sessions.Config{Keys: keys, Revoker: store})
//	http.ListenAndServe(addr, m.Handler(mux)) // or router.Use(m.Handler)
//
// In a handler, get the session and use it as Django's request.session:
//
//	s, err := m.Session(r)
//	n := sessions.Get(s, "visits", 0)          // typed, with a default
//	err = s.Set("visits", n+1)                 // encoded now: errors here, not at save
//	cart, ok := sessions.Lookup[Cart](s, "cart") // any JSON-encodable type
//	err = s.Login(r.Context(), user.ID)        // binds the user, cycles the ID
//	err = s.Logout(r.Context())                // flushes and revokes
//	err = m.RevokeUser(r.Context(), user.ID)   // "log out everywhere"
//
// Django's names map as: s[k]=v → Set; get → [Get]/[Lookup]; pop → [Pop];
// setdefault → [SetDefault]; update → Update; del → Delete; in → Has;
// keys/values/items → Keys/Values/Items; clear → Clear; flush → Flush;
// cycle_key → CycleID; set_expiry(seconds/datetime/0/None) →
// SetExpiry/SetExpiryAt/SetExpiry(0) or SetExpireAtBrowserClose/ResetExpiry
// (SetExpiry(0) is "until the browser closes", as in Django; a negative
// duration expires the session now);
// get_expiry_age/get_expiry_date/get_expire_at_browser_close →
// ExpiryAge/ExpiryDate/ExpireAtBrowserClose; session.modified = True →
// MarkModified; SessionInterrupted → [ErrSessionInterrupted]; the messages
// framework → AddFlash/Flashes (bounded as Django's cookie storage: when a
// save would not fit, the oldest messages are dropped and counted in
// Stats.FlashDropped). Modified and Accessed follow Django's flags.
// Code that has a context but no request or Manager (a service a handler
// calls) gets the session with [FromContext].
//
// The middleware writes the cookie when the response starts (first
// WriteHeader, Write or Flush), never after the body; an untouched session
// writes nothing (unless Config.SaveEveryRequest is set, or it must be
// re-sealed under a new primary key), an accessed one adds "Vary: Cookie",
// a written cookie adds Cache-Control: no-cache="Set-Cookie". A response
// with status 500 or more saves nothing, not even what the handler's own
// Save put in its headers. A session another request ended while this one
// ran (logout, "log out everywhere") is not saved: Save returns
// [ErrSessionInterrupted], the middleware hands it to Config.ErrorHandler,
// and the browser gets the handler's response without a session cookie
// (see [Manager.Handler] for why not Django's 400). Code that can't use middleware calls [Manager.Load] and
// [Manager.Save]. [Manager.Inspect] (sealctl inspect) describes a cookie
// value, or all the values of a session over several cookies
// ([ChunkValues] finds them in a Cookie header), for debugging.
//
// Values are stored in a compact binary form: strings, bools, every integer
// and float type, []byte and time.Time keep their type (an int comes back an
// int; Get converts between integer types when lossless); anything else is
// JSON. One cookie holds at most 4096 bytes, about 2 KB of data: a session
// that grows past it, even without its flash messages, is not saved (the
// previous cookie stays) and Config.ErrorHandler gets a [*TooLargeError]
// naming the largest keys (the flash messages, together, as [FlashKey]). Keep
// large or growing data server-side and store its ID in the session.
//
// # Sessions over several cookies
//
// Config.MaxCookies above 1 lets a session span that many cookies (at most
// 9): it is sealed once and the sealed value is split across the cookies
// NAME, NAME.1, NAME.2, ..., all with the same attributes, the first
// saying how many there are ("3~..."). A session that fits one cookie is
// still written as one, exactly as with MaxCookies 1.
//
//	m, err := sessions.New(sessions.Config{Keys: keys, Revoker: store, MaxCookies: 2})
//
// What it costs. Every cookie is sent with every request to the cookie's
// path, so a 7 KB session adds 7 KB to each request, images and scripts
// included; proxies cap the whole Cookie header (nginx's default buffer is
// 8 KB per header line, Apache's LimitRequestFieldSize 8190 bytes; Chromium
// and Firefox keep about 180 cookies and 4096 bytes per cookie for a
// domain), so the session's cookies are also held to
// Config.MaxCookieHeader ([DefaultMaxCookieHeader], 7 KB: about 3.9 KB of
// data in two cookies, against 2.2 KB in one). A session past either limit is refused with a
// [*TooLargeError] as above, its previous cookies kept. Every save also
// deletes the chunk cookies the session does not use (up to MaxCookies-1
// extra Set-Cookie lines of about 100 bytes), so that two requests saving
// at once can never leave a stale chunk beside a newer session. Opening
// costs one join of the chunks and one MAC over the whole value; the
// bench module measures it. Nothing is compressed (see SECURITY.md).
//
// A request must carry exactly the cookies the first one announces, each
// once: a chunk missing, doubled or beyond the count, or chunk cookies
// without the first, give a fresh session, counted in Stats.Invalid.Chunks,
// and the response deletes them all, as any refused cookie.
// The one MAC covers every chunk, so chunks of two sessions, or of two saves
// of one session, never combine into a session (Stats.Invalid.Tampered).
// Chunk names keep a "__Host-" or "__Secure-" prefix, and the browser
// enforces it on every chunk. Lowering MaxCookies refuses the sessions that
// spanned more cookies; an app with two Managers must not name one's
// cookie like the other's chunks ("s" and "s.1").
//
// # Security
//
// Cookies are Secure, HttpOnly and SameSite=Lax by default. Dropping Secure
// or HttpOnly takes a field whose name starts with Insecure; SameSite is
// Config.SameSite, and None is refused without Secure. Every expiry is
// decided on the server from the sealed payload: the idle expiry
// (Config.CookieAge, or SetExpiry), a custom date (SetExpiryAt), and the
// absolute lifetime (Config.AbsoluteLifetime from creation or last Login),
// which caps everything including sliding renewal. The cookie's Max-Age
// only mirrors it. A change that shortens the session's life (an earlier
// expiry, a browser-session cookie instead of a lasting one) gives it a new
// ID and revokes the old one, so a copy of the cookie issued before, which
// carries the longer expiry, stops opening.
//
// A cookie that is missing, malformed, tampered, sealed for another cookie
// name, sealed under an unknown or retired key, expired or revoked gives
// the request a fresh empty session: the client never learns which check
// failed, never gets a 500. The reason is counted in [Manager.Stats] and
// logged, never with the cookie value: a cookie only an attacker makes (a
// bad MAC, a value sealed for another cookie name, an unknown key ID) is a
// security event, logged at Warn with the reason and the key ID it names,
// at most one line per reason per second (the next says how many were
// suppressed); revoked is logged at Info, malformed and expired at Debug.
// The response deletes the refused cookie, so the browser stops sending
// it, unless the revocation list failed (the session may be valid), the
// cookie was revoked (its ID may be one a racing response has just
// replaced: a login, CycleID or DBSC registration, whose new cookie a
// deletion arriving last would throw away), or another cookie of the name
// opened. At most four cookies of the
// configured name are tried per request, in header order; the first one
// that passes every check is used (with its chunks, when it has some).
//
// If the Revoker fails, the Manager fails closed (the session is treated as
// revoked) unless Config.InsecureFailOpen is set. Without a Revoker
// (Config.InsecureNoRevocation) logout only deletes the browser's cookie and
// a copy keeps working until it expires, as with other cookie stores.
// Session revocations last until no cookie carrying the ID can still be
// alive: the end of its absolute lifetime, since an earlier cookie with the
// same ID may carry a longer custom expiry than the current one. User and
// global revocations compare creation times, and this Manager's creation
// stamps and revocation cut-offs are strictly increasing, so a login right
// after "log out everywhere" on the same instance survives it.
//
// A cookie opened under a non-primary key is re-sealed under the primary on
// that response, so key rotation converges as users return.
//
// The payload is authenticated and encrypted, but its size is visible:
// cookie length reveals roughly how much data a session holds. It is never
// compressed: with values an attacker can influence beside secrets, the
// length of a compressed payload would leak the secrets (CRIME).
//
// A Manager caches, per exact cookie value it has verified, what the value
// decoded to (Config.VerifiedCacheEntries; on by default, bounded), so a
// repeat request skips the MAC and the decryption. Expiry, the revocation
// list and the keyring (a reloaded keyring starts the cache afresh) are
// still checked on every request; SECURITY.md says why this leaks nothing.
//
// # Device Bound Session Credentials
//
// With Config.DeviceBound, Login's response offers the browser to bind the
// session to a key pair in the device's secure hardware (W3C
// webappsec-dbsc, editor's draft of 2026-02-17). Mount
// [Manager.DBSCHandler] at DeviceBound.Path, outside Handler: it verifies
// the browser's signed proofs (ES256, RS256), seals the public key into the
// session, and issues a short-lived bound cookie (default 10 minutes) and
// the next challenge. A bound session is served only with a live bound
// cookie; without one the request gets a fresh session
// ([Session.MissingDeviceProof], Stats.Invalid.Unbound). Challenges and
// bound cookies are sealed, time-limited values, so no instance keeps
// state. CycleID, Login, Flush and Logout end the binding, and every
// revocation ends it with the session; EndOtherSessions and a shortened
// expiry give the session a new ID that keeps it, if the request proved
// the key with a live bound cookie (the response carries the bound cookie
// for the new ID). Browsers without DBSC, and sessions
// that never registered, work as without it ([Session.DeviceBound] tells
// them apart). SECURITY.md says what it protects against and what replay
// remains possible.
//
// # Where you're signed in
//
// With Config.Registry set (*revocation.Store with LoginsPerUser, or
// sessiontest.MemRegistry in tests), the Manager records each login of a
// user, and each new ID a logged-in session gets (CycleID, a shortened
// expiry, a DBSC registration), with a short device description
// (Config.Device, by default UserAgentDevice; the coarse network only
// with Config.RegistryNetwork) and whether the session is device bound.
// Manager.Sessions lists the user's live sessions, the current one
// marked, the bound ones flagged (SessionInfo.Bound); EndSession ends one of them (ErrNotFound for any ID that is not
// the user's); EndOtherSessions ends all but the current one, which gets a
// new ID and keeps working. Recording happens when a login is saved; the
// request path does not touch the registry. A *revocation.Store with its
// outbox on, replicated by natsrepl, carries each login to the other
// instances' registries, so every instance lists them all.
//
// # Concurrency
//
// A Manager is safe for concurrent use and immutable after New, except the
// keyring, which it asks its keyring.Source for on every request (a
// *keyring.Watcher swaps it atomically). A Session belongs to one request;
// its methods take a mutex, so goroutines of that request may share it, but
// changes made after the response has started are not saved.
package sessions
