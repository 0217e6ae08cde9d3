package fsperm

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Parents lists every directory above the path as written and above its
// symlink's target, each once, up to the root.
func TestParents(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real", "dir")
	links := filepath.Join(root, "links")
	for _, d := range []string{real, links} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(real, "keyring.json")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(links, "keyring.json")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	got, err := Parents(link)
	if err != nil {
		t.Fatal(err)
	}
	resolvedRoot, _ := filepath.EvalSymlinks(root)
	for _, want := range []string{links, filepath.Join(resolvedRoot, "real", "dir"), filepath.Join(resolvedRoot, "real"), "/"} {
		if !slices.Contains(got, want) {
			t.Errorf("Parents(%s) = %v, lacks %s", link, got, want)
		}
	}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d] {
			t.Errorf("%s listed twice", d)
		}
		seen[d] = true
	}
	if _, err := Parents(filepath.Join(root, "missing")); err == nil {
		t.Error("a missing path gave no error")
	}
}
