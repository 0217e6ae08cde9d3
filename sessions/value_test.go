package sessions

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestValueTags pins every tagged type: the tag it is stored under, that
// it comes back with its own type from natural and decodeAs, and the
// bounds of each integer width.
func TestValueTags(t *testing.T) {
	when := time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)
	tests := []struct {
		v   any
		tag byte
	}{
		{"s", tagString}, {"", tagString}, {true, tagBool}, {false, tagBool},
		{int(-7), tagInt}, {int(math.MaxInt), tagInt}, {int(math.MinInt), tagInt},
		{int8(math.MinInt8), tagInt8}, {int8(math.MaxInt8), tagInt8},
		{int16(math.MinInt16), tagInt16}, {int16(math.MaxInt16), tagInt16},
		{int32(math.MinInt32), tagInt32}, {int32(math.MaxInt32), tagInt32},
		{int64(math.MinInt64), tagInt64}, {int64(math.MaxInt64), tagInt64},
		{uint(math.MaxUint), tagUint}, {uint8(math.MaxUint8), tagUint8},
		{uint16(math.MaxUint16), tagUint16}, {uint32(math.MaxUint32), tagUint32},
		{uint64(math.MaxUint64), tagUint64}, {uint64(0), tagUint64},
		{-2.5, tagFloat64}, {math.Inf(1), tagFloat64}, {float32(-1.25), tagFloat32},
		{[]byte{0, 1}, tagBytes}, {[]byte{}, tagBytes}, {when, tagTime},
		{[]int{1}, tagJSON}, {nil, tagJSON}, {[]byte(nil), tagJSON},
	}
	for _, tt := range tests {
		tag, raw, err := encodeValue(tt.v)
		if err != nil || tag != tt.tag {
			t.Errorf("encodeValue(%#v) = tag %d, %v; want tag %d", tt.v, tag, err, tt.tag)
			continue
		}
		e := &entry{tag: tag, raw: raw}
		got, err := e.natural()
		want := tt.v
		switch x := tt.v.(type) {
		case []int: // JSON decodes into any
			want = []any{float64(x[0])}
		case []byte:
			if x == nil {
				want = nil
			}
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("natural(%#v) = %#v, %v", tt.v, got, err)
		}
		if v, ok := decodeAs[any](e); !ok || !reflect.DeepEqual(v, want) {
			t.Errorf("decodeAs[any](%#v) = %#v, %v", tt.v, v, ok)
		}
		if got, ok := decodeAsTypeOf(e, tt.v); !ok || !reflect.DeepEqual(got, tt.v) {
			t.Errorf("decodeAs[%T](%#v) = %#v, %v", tt.v, tt.v, got, ok)
		}
	}
}

// decodeAsTypeOf calls decodeAs with v's type.
func decodeAsTypeOf(e *entry, v any) (any, bool) {
	switch v.(type) {
	case string:
		return decodeAs[string](e)
	case bool:
		return decodeAs[bool](e)
	case int:
		return decodeAs[int](e)
	case int8:
		return decodeAs[int8](e)
	case int16:
		return decodeAs[int16](e)
	case int32:
		return decodeAs[int32](e)
	case int64:
		return decodeAs[int64](e)
	case uint:
		return decodeAs[uint](e)
	case uint8:
		return decodeAs[uint8](e)
	case uint16:
		return decodeAs[uint16](e)
	case uint32:
		return decodeAs[uint32](e)
	case uint64:
		return decodeAs[uint64](e)
	case float64:
		return decodeAs[float64](e)
	case float32:
		return decodeAs[float32](e)
	case []byte:
		return decodeAs[[]byte](e)
	case time.Time:
		return decodeAs[time.Time](e)
	case []int:
		return decodeAs[[]int](e)
	}
	return decodeAs[any](e)
}

// TestIntegerConversions pins which integer values convert to which
// types: losslessly or not at all.
func TestIntegerConversions(t *testing.T) {
	vals := []any{int8(-1), int64(math.MinInt64), int16(300), uint8(200), uint64(math.MaxUint64),
		uint64(math.MaxInt64), int32(1 << 20), uint16(math.MaxUint16), int64(1<<53 + 1), int64(-(1 << 53))}
	// want[i] lists, for vals[i], whether it converts to
	// int8 int16 int32 int64 uint8 uint16 uint32 uint64 float64.
	want := [][9]bool{
		{true, true, true, true, false, false, false, false, true},
		{false, false, false, true, false, false, false, false, false},
		{false, true, true, true, false, true, true, true, true},
		{false, true, true, true, true, true, true, true, true},
		{false, false, false, false, false, false, false, true, false},
		{false, false, false, true, false, false, false, true, false},
		{false, false, true, true, false, false, true, true, true},
		{false, false, true, true, false, true, true, true, true},
		{false, false, false, true, false, false, false, true, false},
		{false, false, false, true, false, false, false, false, true},
	}
	for i, v := range vals {
		tag, raw, err := encodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		e := &entry{tag: tag, raw: raw}
		var got [9]bool
		_, got[0] = decodeAs[int8](e)
		_, got[1] = decodeAs[int16](e)
		_, got[2] = decodeAs[int32](e)
		_, got[3] = decodeAs[int64](e)
		_, got[4] = decodeAs[uint8](e)
		_, got[5] = decodeAs[uint16](e)
		_, got[6] = decodeAs[uint32](e)
		_, got[7] = decodeAs[uint64](e)
		_, got[8] = decodeAs[float64](e)
		if got != want[i] {
			t.Errorf("%T(%v) converts %v, want %v", v, v, got, want[i])
		}
		if n, ok := decodeAs[int64](e); ok && reflect.ValueOf(v).Kind() <= reflect.Int64 && n != reflect.ValueOf(v).Int() {
			t.Errorf("%T(%v) as int64 = %d", v, v, n)
		}
	}
}

// TestMalformedValues: stored bytes that don't fit their tag (only a
// forged payload has them) decode to nothing, for every tag.
func TestMalformedValues(t *testing.T) {
	tests := []entry{
		{tag: tagBool, raw: "\x02"}, {tag: tagBool, raw: ""},
		{tag: tagInt8, raw: "\x80\x04"},  // varint 256, outside int8
		{tag: tagInt, raw: "\x80"},       // truncated varint
		{tag: tagInt64, raw: "\x02\x00"}, // trailing byte
		{tag: tagUint8, raw: "\x80\x02"}, // 256
		{tag: tagUint16, raw: "\xff\xff\x04"},
		{tag: tagUint32, raw: "\xff\xff\xff\xff\x10"},
		{tag: tagUint64, raw: ""},
		{tag: tagFloat64, raw: "\x01\x02\x03"}, {tag: tagFloat32, raw: "\x01"},
		{tag: tagTime, raw: "\x09"}, {tag: tagJSON, raw: "{"},
		{tag: tagInt64, raw: strings.Repeat("\x80", 10) + "\x00"}, // longer than any varint
		{tag: tagUint64, raw: strings.Repeat("\x80", 10) + "\x00"},
		{tag: tagTime, raw: "\x01" + strings.Repeat("\x00", 16)}, // longer than any time
	}
	for _, e := range tests {
		if v, err := e.natural(); err == nil {
			t.Errorf("natural(tag %d, %x) = %#v, want an error", e.tag, e.raw, v)
		}
		if v, ok := decodeAs[any](&e); ok {
			t.Errorf("decodeAs[any](tag %d, %x) = %#v", e.tag, e.raw, v)
		}
		_, okI := decodeAs[int64](&e)
		_, okU := decodeAs[uint64](&e)
		_, okF := decodeAs[float64](&e)
		if okI || okU || okF {
			t.Errorf("tag %d, %x converts to int64 %v, uint64 %v, float64 %v", e.tag, e.raw, okI, okU, okF)
		}
	}
	if _, err := (&entry{tag: 99}).natural(); err == nil {
		t.Error("unknown tag decoded")
	}
}
