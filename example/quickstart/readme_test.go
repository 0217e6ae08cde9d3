package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMEQuickStart keeps the README's quick start compiled: the Go
// block under "## Quick start" must be this package's main.go, byte for
// byte, and main.go is built and vetted with the rest of the workspace.
func TestREADMEQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	block, err := goBlockAfter(string(readme), "## Quick start")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(src) {
		t.Errorf("README.md's quick start differs from example/quickstart/main.go; copy main.go into the README's block.\n%s",
			firstDifference(block, string(src)))
	}
}

func TestGoBlockAfter(t *testing.T) {
	doc := "# t\n```go\nwrong\n```\n## Quick start\n\ntext\n\n```go\npackage main\n\nfunc main() {}\n```\n```go\nlater\n```\n"
	got, err := goBlockAfter(doc, "## Quick start")
	if err != nil || got != "package main\n\nfunc main() {}\n" {
		t.Errorf("goBlockAfter = %q, %v", got, err)
	}
	for _, bad := range []string{"no heading", "## Quick start\n", "## Quick start\n```go\nunclosed\n"} {
		if got, err := goBlockAfter(bad, "## Quick start"); err == nil {
			t.Errorf("goBlockAfter(%q) = %q, want an error", bad, got)
		}
	}
	if d := firstDifference("a\nb\nc\n", "a\nx\nc\n"); !strings.Contains(d, "line 2") {
		t.Errorf("firstDifference: %q, want line 2", d)
	}
}

// goBlockAfter returns the body of the first ```go block after heading.
func goBlockAfter(doc, heading string) (string, error) {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok && strings.HasPrefix(doc, heading+"\n") {
		rest, ok = doc[len(heading)+1:], true
	}
	if !ok {
		return "", fmt.Errorf("no %q heading", heading)
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		return "", fmt.Errorf("no ```go block after %q", heading)
	}
	body, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		return "", fmt.Errorf("the ```go block after %q is not closed", heading)
	}
	return body + "\n", nil
}

// firstDifference names the first line where a and b differ.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return fmt.Sprintf("line %d: README has %q, main.go has %q", i+1, x, y)
		}
	}
	return "no difference"
}
