package main

import "golang.org/x/crypto/bcrypt"

// user is a demo account. Passwords are stored only as bcrypt hashes
// (cost 10, bcrypt.DefaultCost), computed once and pasted here so the app
// never hashes at startup.
type user struct {
	Name  string
	Admin bool
	hash  []byte
}

// users are the demo accounts: alice / alice-password (admin) and
// bob / bob-password.
var users = map[string]user{
	"alice": {Name: "alice", Admin: true, hash: []byte("$2a$10$CRjMSukBNo7ObcoCQ0BN4OLA0mCFNNIcylvMXGZf7AU29uPgCiNP6")},
	"bob":   {Name: "bob", hash: []byte("$2a$10$JEzmsFw7IkxSKXaip5UMqOb73QtKv0O1szf7.q9dAsZonA2in45E6")},
}

// dummyHash is compared against when the username is unknown, so a failed
// login costs the same time whether or not the user exists.
var dummyHash = []byte("$2a$10$Yos0WL7PzuuenvblcUaGEOvvpRyV6oF5YnXTHQ3Mn3AGbla892spi")

// authenticate reports the user whose name and password match.
func authenticate(name, password string) (user, bool) {
	if name == "" || password == "" || len(password) > 72 {
		// Nothing to compare (bcrypt reads at most 72 bytes, so a longer
		// password could match on its prefix alone).
		return user{}, false
	}
	u, known := users[name]
	hash := dummyHash
	if known {
		hash = u.hash
	}
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if !known || !ok {
		return user{}, false
	}
	return u, true
}

// lookupUser returns the demo account called name.
func lookupUser(name string) (user, bool) {
	u, ok := users[name]
	return u, ok
}
