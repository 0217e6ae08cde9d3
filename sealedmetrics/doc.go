// Package sealedmetrics exposes the state of sealed's components as
// Prometheus metrics with stable sealed_ names, so that applications import
// them instead of copying a collector.
//
// # Usage
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{
//		Sessions:   manager,    // *sessions.Manager
//		Keys:       watcher,    // keyring.Source; a *keyring.Watcher adds reload metrics
//		Revocation: store,      // *revocation.Store
//		Replicator: replicator, // *natsrepl.Replicator, if several instances
//	}))
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Leave out a component and its metrics are left out. The [Collector]
// reads each component's own counters (Manager.Stats and KeyOpens,
// Store.Stats and WriteStats, Replicator.Health and PropagationDelays,
// Watcher.Status) when scraped: the request path pays nothing for it.
//
// # Why Prometheus, and why a module of its own
//
// The Prometheus client's Collector reads the components' snapshots at
// scrape time as constant metrics, with no copy kept up to date on the
// request path; Prometheus is what most Go services are scraped by. The
// OpenTelemetry metric API records nothing without an SDK, and its
// Prometheus exporter brings the Prometheus client anyway, so building on
// it would give Prometheus users two libraries instead of one. Teams on
// OpenTelemetry can read this Collector's registry through the
// OpenTelemetry Prometheus bridge (go.opentelemetry.io/contrib/bridges/prometheus).
// The package is a Go module of its own
// (github.com/sealedsessions/sealed/sealedmetrics): the sealed module does
// not require the Prometheus client, and an application that does not
// import this package does not download or compile it.
//
// # Metrics
//
// Sessions (Config.Sessions), counters since start:
//
//	sealed_sessions_opened_total              cookies that opened into a valid session
//	sealed_sessions_new_total                 fresh sessions (no cookie, or every cookie refused)
//	sealed_sessions_saved_total               session cookies written
//	sealed_sessions_deleted_total             session cookies deleted (flush, logout)
//	sealed_sessions_too_large_total           saves refused: the session did not fit its cookie
//	sealed_sessions_resealed_total            sessions re-sealed under the primary after opening under another key
//	sealed_sessions_refused_total{reason}     refused cookies: malformed, tampered, expired, revoked,
//	                                          unknown_key, oversize, wrong_name, revoker_error,
//	                                          chunks (a session's cookies, one missing or extra),
//	                                          unbound (a device-bound session without its bound cookie)
//	sealed_sessions_revoker_errors_total      revocation list lookups that failed
//	sealed_sessions_interrupted_total         saves refused: another request revoked the session meanwhile
//	sealed_sessions_flash_dropped_total       flash messages dropped, oldest first, to fit the cookie
//	sealed_sessions_cache_hits_total          cookie values found in the verified-value cache
//	sealed_sessions_cache_misses_total        cookie values looked up there and verified in full
//	sealed_sessions_dbsc_total{outcome}       device binding (DBSC): registered, refreshed, refused
//	sealed_sessions_key_opens_total{key_id}   valid sessions per sealing key; every key of the keyring
//	                                          is listed, 0 included. A key whose count stays flat for the
//	                                          longest session lifetime is in no live cookie: retire it.
//
// Keyring (Config.Keys), gauges unless named _total:
//
//	sealed_keyring_keys{use="open"}           keys that open cookies, the primary included (>= 1)
//	sealed_keyring_keys{use="seal"}           the primary (1); neither is 0 on a working keyring
//	sealed_keyring_info{primary_id}           1, labelled with the primary key's ID
//	sealed_keyring_reload_failures_total      failed checks of the keyring file (Watcher only)
//	sealed_keyring_reload_stale               1 while the file holds a change not loaded (Watcher only)
//
// Revocation store (Config.Revocation):
//
//	sealed_revocation_entries{kind}               entries: session, user, all (0 or 1)
//	sealed_revocation_disk_bytes                  space taken by Badger's files
//	sealed_revocation_writes_total                synced writes (local, replicated, outbox acks)
//	sealed_revocation_write_errors_total          writes that failed (a full or failing disk)
//	sealed_revocation_write_duration_seconds      histogram: commit time, fsync included
//	sealed_revocation_last_gc_timestamp_seconds   last housekeeping run, 0 if none
//	sealed_revocation_disk_free_bytes             free space on the store's filesystem (-1 unknown)
//	sealed_revocation_disk_reserve_bytes          free space below which writes are refused
//	sealed_revocation_writes_refused              1 while writes are refused for disk space
//
// Replication (Config.Replicator), gauges 0 or 1 unless said:
//
//	sealed_replication_healthy                        caught up, in contact, not closed
//	sealed_replication_stale                          no contact with the stream for longer than Staleness
//	sealed_replication_caught_up                      first catch-up after start done (fail closed before)
//	sealed_replication_lag_events                     events known but not applied (count)
//	sealed_replication_outbox_depth                   local revocations not yet acknowledged (count)
//	sealed_replication_stream_resets_total            stream found deleted or recreated (counter)
//	sealed_replication_missed_events                  events aged out of the stream while away
//	sealed_replication_last_contact_timestamp_seconds last time the replica held the whole stream
//	sealed_replication_state{state}                   1 for the current state: ok, degraded (serving,
//	                                                  revocations may be late), catching-up, stale
//	sealed_replication_consumer_restarting            the stream consumer is being restarted
//	sealed_replication_rejected_events_total          messages dropped: not verified under the keyring,
//	                                                  or not events (counter)
//	sealed_replication_republished_total              live entries re-published after a stream loss (counter)
//	sealed_replication_nats_connected                 the NATS connection is connected (0 while reconnecting)
//	sealed_replication_outbox_oldest_age_seconds      wait of the oldest unacknowledged local revocation
//	sealed_replication_propagation_delay_seconds      histogram: an event's own time to its application
//	                                                  here, for other instances' events (skew included)
//
// # Alerts
//
// The three that matter most, as PromQL:
//
//	# Forged or foreign cookies, or a failing revocation list (expired and revoked are normal):
//	sum by (reason) (rate(sealed_sessions_refused_total{reason=~"tampered|unknown_key|wrong_name|revoker_error"}[5m])) > 1
//	# Revocations made elsewhere may not be in force here:
//	max_over_time(sealed_replication_stale[5m]) == 1
//	# (and worth a look: forged events on the stream)
//	increase(sealed_replication_rejected_events_total[15m]) > 0
//	# Revocations can't be recorded: a full disk, or a failing one:
//	max_over_time(sealed_revocation_writes_refused[5m]) == 1 or increase(sealed_revocation_write_errors_total[5m]) > 0
//
// Package [github.com/sealedsessions/sealed/sealedmetrics/metricstest]
// helps a test check them: it flattens a registry or a /metrics page into
// one number per series, checks each family's type against its name, and
// says which series did not move between two scrapes.
//
// # Security
//
// No metric carries a secret or a session: key IDs are public (each
// cookie starts with one), user IDs never appear.
//
// # Concurrency
//
// A Collector is safe for concurrent scrapes; the components it reads are
// safe for concurrent use.
package sealedmetrics
