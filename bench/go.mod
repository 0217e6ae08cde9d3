module github.com/sealedsessions/sealed/bench

go 1.26.0

require (
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
	github.com/sealedsessions/sealed v0.0.0-00010101000000-000000000000
)

replace github.com/sealedsessions/sealed => ../
