package revocation_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"go.uber.org/goleak"

	"github.com/sealedsessions/sealed/revocation"
)

// benchStore is a store with n revoked sessions, built once per process.
type benchStore struct {
	dir string
	s   *revocation.Store
	ids [][16]byte // revoked
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*benchStore{}
	benchRoot   string
)

var quiet = slog.New(slog.DiscardHandler)

func randomIDs(n int) [][16]byte {
	ids := make([][16]byte, n)
	buf := make([]byte, 16*n)
	rand.Read(buf)
	for i := range ids {
		ids[i] = [16]byte(buf[16*i:])
	}
	return ids
}

// buildDir fills a new directory with n revoked sessions (WriteBatch) and
// returns it closed, with the IDs.
func buildDir(b *testing.B, n int) (string, [][16]byte) {
	b.Helper()
	if benchRoot == "" {
		var err error
		if benchRoot, err = os.MkdirTemp("", "revocation-bench"); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(benchRoot, strconv.Itoa(n))
	ids := randomIDs(n)
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 100_000 {
		if err := revocation.BulkLoad(s, ids[start:min(n, start+100_000)], time.Now().Add(24*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir, ids
}

// storeWith returns the cached store with n entries, opened from disk so
// its index was rebuilt the way Open does it.
func storeWith(b *testing.B, n int) *benchStore {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if bs, ok := benchStores[n]; ok {
		return bs
	}
	dir, ids := buildDir(b, n)
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	if got := s.Stats().Sessions; got != n {
		b.Fatalf("store has %d sessions, want %d", got, n)
	}
	bs := &benchStore{dir: dir, s: s, ids: ids}
	benchStores[n] = bs
	return bs
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bs := range benchStores {
		bs.s.Close()
	}
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	// Close must stop housekeeping and every Badger goroutine.
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var benchSizes = []struct {
	name string
	n    int
}{{"10k", 10_000}, {"100k", 100_000}, {"1M", 1_000_000}}

// BenchmarkRevoked is the request-path check. Targets at 1M: a miss <=
// 100 ns and 0 allocs.
func BenchmarkRevoked(b *testing.B) {
	created := time.Now()
	for _, size := range benchSizes {
		bs := storeWith(b, size.n)
		misses := randomIDs(4096)
		b.Run(size.name+"/miss", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if dead, err := bs.s.Revoked(misses[i&4095], "alice", created); dead || err != nil {
					b.Fatal(dead, err)
				}
				i++
			}
		})
		b.Run(size.name+"/hit", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if dead, err := bs.s.Revoked(bs.ids[i%len(bs.ids)], "alice", created); !dead || err != nil {
					b.Fatal(dead, err)
				}
				i += 7919
			}
		})
		b.Run(size.name+"/miss-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					bs.s.Revoked(misses[i&4095], "alice", created)
					i++
				}
			})
		})
		b.Run(size.name+"/hit-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var seed [8]byte
				rand.Read(seed[:])
				i := int(binary.LittleEndian.Uint32(seed[:]))
				for pb.Next() {
					bs.s.Revoked(bs.ids[i%len(bs.ids)], "alice", created)
					i += 7919
				}
			})
		})
	}
}

// BenchmarkRevokedWithUsers is the check at 1M sessions with 10k users
// revoked, so the user lookup can't be skipped.
func BenchmarkRevokedWithUsers(b *testing.B) {
	bs := storeWith(b, 1_000_000)
	ctx := context.Background()
	for i := range 10_000 {
		if err := bs.s.RevokeUser(ctx, fmt.Sprintf("user-%d", i), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	created := time.Now()
	misses := randomIDs(4096)
	users := make([]string, 4096)
	for i := range users {
		users[i] = fmt.Sprintf("user-%d", 20_000+i) // not revoked
	}
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if dead, err := bs.s.Revoked(misses[i&4095], users[i&4095], created); dead || err != nil {
				b.Fatal(dead, err)
			}
			i++
		}
	})
	b.Run("miss-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				bs.s.Revoked(misses[i&4095], users[i&4095], created)
				i++
			}
		})
	})
}

// BenchmarkBadgerGet is a plain Badger point lookup on the same data, for
// comparison with BenchmarkRevoked.
func BenchmarkBadgerGet(b *testing.B) {
	for _, size := range benchSizes {
		bs := storeWith(b, size.n)
		db := revocation.DB(bs.s)
		misses := randomIDs(4096)
		get := func(b *testing.B, id [16]byte, want bool) {
			err := db.View(func(txn *badger.Txn) error {
				_, err := txn.Get(revocation.SessionKey(id))
				return err
			})
			if found := err == nil; found != want || (err != nil && !errors.Is(err, badger.ErrKeyNotFound)) {
				b.Fatal(err)
			}
		}
		b.Run(size.name+"/miss", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				get(b, misses[i&4095], false)
				i++
			}
		})
		b.Run(size.name+"/hit", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				get(b, bs.ids[i%len(bs.ids)], true)
				i += 7919
			}
		})
	}
}

// BenchmarkRevokeSession is a synced revocation (one fsync or a share of a
// group commit), from one writer and from many.
func BenchmarkRevokeSession(b *testing.B) {
	ctx := context.Background()
	for _, outbox := range []bool{false, true} {
		name := "plain"
		if outbox {
			name = "outbox"
		}
		s, err := revocation.Open(b.TempDir(), revocation.Config{Logger: quiet, GCInterval: -1, Outbox: outbox})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var id [16]byte
				rand.Read(id[:])
				if err := s.RevokeSession(ctx, id, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "revocations/s")
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var id [16]byte
					rand.Read(id[:])
					if err := s.RevokeSession(ctx, id, time.Time{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "revocations/s")
		})
		s.Close()
	}
}

// BenchmarkOpen is Open of a cleanly closed directory: Badger's open plus
// rebuilding the index. "first" is the first open after the directory was
// filled (a heavy write session: Badger still compacts while the index
// loads), a new directory for every run; "snapshot" opens it again from
// the snapshot Close wrote; "scan", with the snapshot removed, reads every
// entry from Badger. The heap-MiB metric is the live Go heap the open
// store holds, table-MiB the session table and its filter (outside the
// heap on Linux), cpu-s/op the CPU time of every thread during Open.
// Targets at 10M: open at most 2 s, the first one included; heap at most
// 200 MiB. Select 10M explicitly (-bench 'Open/10M'): filling it takes
// minutes.
func BenchmarkOpen(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1M", 1_000_000}, {"10M", 10_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			b.Run("first", func(b *testing.B) { benchFirstOpen(b, size.n) })
			bs := storeWith(b, size.n)
			benchMu.Lock()
			defer benchMu.Unlock()
			if err := bs.s.Close(); err != nil {
				b.Fatal(err)
			}
			for _, mode := range []string{"snapshot", "scan"} {
				b.Run(mode, func(b *testing.B) { benchOpen(b, bs.dir, mode == "scan") })
			}
			s, err := revocation.Open(bs.dir, revocation.Config{Logger: quiet, GCInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			bs.s = s
		})
	}
}

// benchFirstOpen fills a new directory with n entries for every run and
// times the open that follows; the last one becomes the cached store of n
// entries.
func benchFirstOpen(b *testing.B, n int) {
	var m openMetrics
	for b.Loop() {
		b.StopTimer()
		benchMu.Lock()
		if bs, ok := benchStores[n]; ok {
			bs.s.Close()
			os.RemoveAll(bs.dir)
			delete(benchStores, n)
		}
		benchMu.Unlock()
		dir, ids := buildDir(b, n)
		s := m.open(b, dir)
		if got := s.Stats().Sessions; got != n {
			b.Fatalf("store has %d sessions, want %d", got, n)
		}
		benchMu.Lock()
		benchStores[n] = &benchStore{dir: dir, s: s, ids: ids}
		benchMu.Unlock()
		b.StartTimer()
	}
	m.report(b)
}

func benchOpen(b *testing.B, dir string, scan bool) {
	b.ReportAllocs()
	var m openMetrics
	for b.Loop() {
		b.StopTimer()
		if scan {
			os.Remove(filepath.Join(dir, revocation.SnapshotFile))
		}
		s := m.open(b, dir)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	m.report(b)
}

// openMetrics is what BenchmarkOpen reports: the last open's heap and
// table, and the CPU time of every open.
type openMetrics struct {
	heap  uint64
	table int
	cpu   time.Duration
}

// open opens dir with the timer running only for Open, and records its
// figures; it returns with the timer stopped.
func (m *openMetrics) open(b *testing.B, dir string) *revocation.Store {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0, _ := revocation.ProcessCPU()
	b.StartTimer()
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu1, _ := revocation.ProcessCPU()
	m.cpu += cpu1 - cpu0
	runtime.GC()
	runtime.ReadMemStats(&after)
	m.heap = after.HeapAlloc - before.HeapAlloc
	m.table = revocation.TableBytes(s)
	return s
}

func (m *openMetrics) report(b *testing.B) {
	b.ReportMetric(float64(m.heap)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(m.table)/(1<<20), "table-MiB")
	b.ReportMetric(m.cpu.Seconds()/float64(b.N), "cpu-s/op")
}

const rssChildEnv = "SEALED_REVOCATION_RSS_DIR"

// TestRSSChild is the child process of BenchmarkRSS1M: with
// SEALED_REVOCATION_RSS_DIR set it opens that directory, checks a few
// thousand sessions, and prints its resident set size. Without it, it is
// not a test and returns at once.
func TestRSSChild(t *testing.T) {
	dir := os.Getenv(rssChildEnv)
	if dir == "" {
		return // only BenchmarkRSS1M runs this as a process
	}
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range randomIDs(10_000) {
		s.Revoked(id, "alice", time.Now())
	}
	if err := s.RevokeSession(context.Background(), randomIDs(1)[0], time.Time{}); err != nil {
		t.Fatal(err)
	}
	rss := vmRSS(t) // as the process stands, no forced GC
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("RSS %d FREED %d HEAP %d ENTRIES %d\n", rss, vmRSS(t), ms.HeapInuse, s.Stats().Sessions)
}

func vmRSS(t testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// BenchmarkRSS1M reports the resident set size of a whole process (a
// fresh one: this test binary re-executed) that has opened a store of 1M
// entries and served checks. Target: <= 128 MiB.
func BenchmarkRSS1M(b *testing.B) { benchRSS(b, 1_000_000) }

// BenchmarkRSS10M is BenchmarkRSS1M at 10M entries; select it explicitly
// (filling the store takes minutes). It shares the store BenchmarkOpen/10M
// fills when both run in one process.
func BenchmarkRSS10M(b *testing.B) { benchRSS(b, 10_000_000) }

func benchRSS(b *testing.B, n int) {
	bs := storeWith(b, n)
	benchMu.Lock()
	defer benchMu.Unlock()
	if err := bs.s.Close(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		s, err := revocation.Open(bs.dir, revocation.Config{Logger: quiet, GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		bs.s = s
	}()
	var rss, freed, heap, entries float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.count=1", "-test.bench=^$")
		cmd.Env = append(os.Environ(), rssChildEnv+"="+bs.dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var r, f, h, e int64
		line := string(out)
		if i := strings.Index(line, "RSS "); i >= 0 {
			line = line[i:]
		}
		if _, err := fmt.Sscanf(line, "RSS %d FREED %d HEAP %d ENTRIES %d", &r, &f, &h, &e); err != nil {
			b.Fatalf("child output %q: %v", out, err)
		}
		rss, freed, heap, entries = float64(r), float64(f), float64(h), float64(e)
	}
	b.ReportMetric(rss/(1<<20), "RSS-MiB")
	b.ReportMetric(freed/(1<<20), "RSS-after-GC-MiB")
	b.ReportMetric(heap/(1<<20), "heap-MiB")
	b.ReportMetric(entries, "entries")
}
