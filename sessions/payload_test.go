package sessions

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func samplePayload(t testing.TB) *payload {
	t.Helper()
	p := &payload{
		userID:  "alice",
		created: 1_700_000_000_000_000_001,
		saved:   1_700_000_100_000_000_000,
		expKind: expiryIdle,
		expVal:  int64(time.Hour),
		flashes: []string{"hello", ""},
	}
	copy(p.id[:], "0123456789abcdef")
	for _, kv := range []struct {
		k string
		v any
	}{{"a", "x"}, {"b", 1}, {"c", int64(-5)}, {"d", uint8(200)}, {"e", 2.5}, {"f", []byte{0, 1}},
		{"g", time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))}, {"h", map[string]int{"n": 1}}, {"i", true}} {
		tag, raw, err := encodeValue(kv.v)
		if err != nil {
			t.Fatal(err)
		}
		p.entries = append(p.entries, entry{key: kv.k, tag: tag, raw: raw})
	}
	return p
}

func TestPayloadRoundTrip(t *testing.T) {
	p := samplePayload(t)
	b := appendPayload(nil, p)
	if len(b) > p.size() {
		t.Errorf("encoded %d bytes, size() bound %d", len(b), p.size())
	}
	var got payload
	if err := decodePayload(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, p) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, *p)
	}
	if again := appendPayload(nil, &got); !bytes.Equal(again, b) {
		t.Error("re-encoding differs")
	}
}

func TestDecodePayloadRejects(t *testing.T) {
	good := appendPayload(nil, samplePayload(t))
	unsorted := samplePayload(t)
	unsorted.entries[0], unsorted.entries[1] = unsorted.entries[1], unsorted.entries[0]
	dup := samplePayload(t)
	dup.entries[1].key = dup.entries[0].key
	badTag := samplePayload(t)
	badTag.entries[0].tag = 99
	badKind := appendPayload(nil, &payload{})
	badKind[1+16+1+1+1] = 9 // expiry kind after version, id, empty user, created 0, saved 0
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", good[:10]},
		{"version", append([]byte{2}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte{}, good...), 0)},
		{"unsorted", appendPayload(nil, unsorted)},
		{"duplicate key", appendPayload(nil, dup)},
		{"bad tag", appendPayload(nil, badTag)},
		{"bad expiry kind", badKind},
		{"huge count", append(appendPayload(nil, &payload{})[:1+16+1+1+1+1], 0, 0xff, 0xff, 0xff, 0xff, 0x0f)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p payload
			if err := decodePayload(tt.b, &p); !errors.Is(err, errPayload) {
				t.Errorf("err = %v, want errPayload", err)
			}
		})
	}
}

func TestValueConversions(t *testing.T) {
	enc := func(v any) *entry {
		tag, raw, err := encodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		return &entry{tag: tag, raw: raw}
	}
	type named string
	type point struct{ X, Y int }
	check := func(name string, got, want any, ok, wantOK bool) {
		t.Helper()
		if ok != wantOK || (ok && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: got %#v, %v; want %#v, %v", name, got, ok, want, wantOK)
		}
	}
	{
		v, ok := decodeAs[int](enc(42))
		check("int as int", v, 42, ok, true)
	}
	{
		v, ok := decodeAs[any](enc(42))
		check("int as any", v, 42, ok, true)
	}
	{
		v, ok := decodeAs[any](enc(int64(42)))
		check("int64 as any", v, int64(42), ok, true)
	}
	{
		v, ok := decodeAs[int](enc(int64(42)))
		check("int64 as int", v, 42, ok, true)
	}
	{
		v, ok := decodeAs[int8](enc(300))
		check("300 as int8", v, int8(0), ok, false)
	}
	{
		v, ok := decodeAs[uint](enc(-1))
		check("-1 as uint", v, uint(0), ok, false)
	}
	{
		v, ok := decodeAs[int64](enc(uint64(math.MaxUint64)))
		check("MaxUint64 as int64", v, int64(0), ok, false)
	}
	{
		v, ok := decodeAs[uint64](enc(uint64(math.MaxUint64)))
		check("MaxUint64 as uint64", v, uint64(math.MaxUint64), ok, true)
	}
	{
		v, ok := decodeAs[int32](enc(int64(math.MinInt32)))
		check("MinInt32 as int32", v, int32(math.MinInt32), ok, true)
	}
	{
		v, ok := decodeAs[float64](enc(7))
		check("7 as float64", v, 7.0, ok, true)
	}
	{
		v, ok := decodeAs[float64](enc(int64(1<<53 + 1)))
		check("2^53+1 as float64", v, 0.0, ok, false)
	}
	{
		v, ok := decodeAs[int](enc(7.0))
		check("7.0 as int", v, 0, ok, false)
	}
	{
		v, ok := decodeAs[string](enc(7))
		check("7 as string", v, "", ok, false)
	}
	{
		v, ok := decodeAs[float32](enc(float32(1.25)))
		check("float32", v, float32(1.25), ok, true)
	}
	{
		v, ok := decodeAs[named](enc(named("dark")))
		check("named string", v, named("dark"), ok, true)
	}
	{
		v, ok := decodeAs[point](enc(point{1, 2}))
		check("struct", v, point{1, 2}, ok, true)
	}
	{
		v, ok := decodeAs[*point](enc(&point{1, 2}))
		check("pointer", v, &point{1, 2}, ok, true)
	}
	{
		v, ok := decodeAs[map[string]any](enc(map[string]any{"a": "b"}))
		check("map", v, map[string]any{"a": "b"}, ok, true)
	}
	{
		v, ok := decodeAs[point](enc("text"))
		check("string as struct", v, point{}, ok, false)
	}
	{
		v, ok := decodeAs[[]byte](enc([]byte("raw")))
		check("bytes", v, []byte("raw"), ok, true)
	}
	{
		v, ok := decodeAs[any](enc(nil))
		check("nil", v, nil, ok, true)
	}
	{
		when := time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)
		v, ok := decodeAs[time.Time](enc(when))
		check("time", v, when, ok && v.Equal(when), true)
	}
	if _, _, err := encodeValue(make(chan int)); err == nil {
		t.Error("encoding a channel succeeded")
	}
	if _, _, err := encodeValue(math.NaN()); err != nil {
		t.Errorf("NaN float64: %v", err)
	}
}

// FuzzDecodePayload: arbitrary bytes never panic the decoder, and whatever
// decodes re-encodes to the same bytes (one encoding per session) and its
// values decode without panicking.
func FuzzDecodePayload(f *testing.F) {
	f.Add(appendPayload(nil, samplePayload(f)))
	f.Add(appendPayload(nil, &payload{}))
	f.Add([]byte{1})
	f.Add(append([]byte{1}, bytes.Repeat([]byte{0}, 16)...))
	seed, _ := hex.DecodeString("0130313233343536373839616263646566000204000000")
	f.Add(seed)
	bound := samplePayload(f)
	bound.device = sampleDevice
	f.Add(appendPayload(nil, bound))
	f.Add(appendPayload(nil, &payload{device: "k"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p payload
		if err := decodePayload(b, &p); err != nil {
			return
		}
		if again := appendPayload(nil, &p); !bytes.Equal(again, b) {
			t.Fatalf("decoded payload re-encodes differently:\n%x\n%x", b, again)
		}
		for i := range p.entries {
			p.entries[i].natural()
			decodeAs[int](&p.entries[i])
			decodeAs[string](&p.entries[i])
			decodeAs[map[string]any](&p.entries[i])
		}
	})
}
