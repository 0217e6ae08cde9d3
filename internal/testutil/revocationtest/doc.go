// Package revocationtest opens real Badger-backed revocation stores in
// temporary directories for tests, and reopens them to test recovery.
//
// It is a package of its own so that tests which need no store (package
// sessions' among them) don't link Badger.
package revocationtest
