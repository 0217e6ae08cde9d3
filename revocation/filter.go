package revocation

import (
	"math/bits"
	"sync/atomic"
)

// filter is a register-blocked Bloom filter of the session index's
// fingerprints: each sets three bits of one 64-bit word. It answers most
// misses without touching the table: at 10M entries the table is 150 MB,
// so a lookup in it is a DRAM access (and, since where the probe run ends
// can't be predicted, the CPU can't overlap it with the next one), while
// the filter is under 8 MB and mostly answers from the cache. A set filter
// bit is only a maybe; the table decides.
//
// The filter is rebuilt whenever the table moves and after a sweep that
// dropped entries (a Bloom filter can't forget). Readers load words
// atomically; puts set bits atomically before they insert, so a reader
// that finds a bit clear is right for that moment.
type filter struct {
	words []uint64
	per   uint64 // words per shard: shard i owns words[i*per:(i+1)*per]
}

// filterBits is the filter's size in bits per table slot: with the table
// 80-92% full, 6.5-7.5 bits an entry, which lets about one miss in ten
// through, for under a byte an entry.
const filterBits = 6

func newFilter(slots int) *filter {
	per := max(1, slots*filterBits/64/numShards)
	return &filter{words: make([]uint64, per*numShards), per: uint64(per)}
}

// place returns fp's word and its three bits. The filter is laid out like
// the table: each shard owns a run of words, and the word within it comes
// from fp's high bits, like its home in the shard. So filling the filter
// in table order (a move, a snapshot's load) walks it in order, a shard's
// run at a time, instead of sweeping the whole filter once per shard (at
// 10M entries, 256 passes over 9 MB, a cache miss per entry); the bits
// come from fp mixed, independent of the word.
func (f *filter) place(fp uint64) (*uint64, uint64) {
	hi, _ := bits.Mul64(fp, f.per)
	w := (fp%numShards)*f.per + hi
	g := fp * 0x9E3779B97F4A7C15
	m := uint64(1)<<(g>>40&63) | uint64(1)<<(g>>46&63) | uint64(1)<<(g>>52&63)
	return &f.words[w], m
}

// add sets fp's bits; the filter may be shared.
func (f *filter) add(fp uint64) {
	w, m := f.place(fp)
	if atomic.LoadUint64(w)&m != m {
		atomic.OrUint64(w, m)
	}
}

// addPrivate sets fp's bits in a filter no one else sees yet.
func (f *filter) addPrivate(fp uint64) {
	w, m := f.place(fp)
	*w |= m
}

// mayHave reports whether fp may be in the index: false means it is not.
func (f *filter) mayHave(fp uint64) bool {
	w, m := f.place(fp)
	return atomic.LoadUint64(w)&m == m
}

// bytes is the filter's size.
func (f *filter) bytes() int { return 8 * len(f.words) }
