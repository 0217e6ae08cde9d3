package sessions

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Value tags. A value is encoded when it is set and kept encoded; Get decodes
// it into the type the caller asks for. Any type without a tag of its own is
// stored as JSON and decoded with encoding/json. encodeValue maps Go types
// to tags, tagTypes says what each tag holds, decodeAs maps a wanted type
// to its decoder; the integers share one generic decoder, decodeInteger.
const (
	tagJSON    byte = 1
	tagString  byte = 2
	tagBool    byte = 3
	tagInt     byte = 4
	tagInt8    byte = 5
	tagInt16   byte = 6
	tagInt32   byte = 7
	tagInt64   byte = 8
	tagUint    byte = 9
	tagUint8   byte = 10
	tagUint16  byte = 11
	tagUint32  byte = 12
	tagUint64  byte = 13
	tagFloat64 byte = 14
	tagFloat32 byte = 15
	tagBytes   byte = 16
	tagTime    byte = 17
	tagMax          = tagTime
)

func validTag(t byte) bool { return t >= tagJSON && t <= tagMax }

// A tagType is what the table knows of one tag.
type tagType struct {
	bits   int  // integers: width on the wire (int and uint: 64 on every platform); 0 otherwise
	signed bool // integers: a signed varint on the wire
	// natural decodes a value into the Go type it was set with; false
	// when the bytes are not a value of that type.
	natural func(raw string) (any, bool)
}

// tagTypes is the table of tags, in tag order.
var tagTypes = [tagMax + 1]tagType{
	tagJSON:    {natural: decodeJSONAny},
	tagString:  {natural: func(raw string) (any, bool) { return raw, true }},
	tagBool:    {natural: boxed(decodeBool)},
	tagInt:     integerType[int](64),
	tagInt8:    integerType[int8](8),
	tagInt16:   integerType[int16](16),
	tagInt32:   integerType[int32](32),
	tagInt64:   integerType[int64](64),
	tagUint:    integerType[uint](64),
	tagUint8:   integerType[uint8](8),
	tagUint16:  integerType[uint16](16),
	tagUint32:  integerType[uint32](32),
	tagUint64:  integerType[uint64](64),
	tagFloat64: {natural: boxed(decodeFloat64)},
	tagFloat32: {natural: boxed(decodeFloat32)},
	tagBytes:   {natural: func(raw string) (any, bool) { return []byte(raw), true }},
	tagTime:    {natural: boxed(decodeTime)},
}

// encodeValue encodes v and returns its tag and bytes. Values of the
// standard scalar types, []byte and time.Time get compact tagged encodings;
// anything else is encoded with encoding/json, and its error is returned.
// The bytes are a string, so a value read back (a string Get returns
// shares them) can never change under its reader; a string is kept as it
// is, without a copy.
func encodeValue(v any) (byte, string, error) {
	var a [binary.MaxVarintLen64]byte // integers and floats are encoded here, then copied once
	switch x := v.(type) {
	case string:
		return tagString, x, nil
	case bool:
		if x {
			return tagBool, "\x01", nil
		}
		return tagBool, "\x00", nil
	case int:
		return tagInt, string(binary.AppendVarint(a[:0], int64(x))), nil
	case int8:
		return tagInt8, string(binary.AppendVarint(a[:0], int64(x))), nil
	case int16:
		return tagInt16, string(binary.AppendVarint(a[:0], int64(x))), nil
	case int32:
		return tagInt32, string(binary.AppendVarint(a[:0], int64(x))), nil
	case int64:
		return tagInt64, string(binary.AppendVarint(a[:0], x)), nil
	case uint:
		return tagUint, string(binary.AppendUvarint(a[:0], uint64(x))), nil
	case uint8:
		return tagUint8, string(binary.AppendUvarint(a[:0], uint64(x))), nil
	case uint16:
		return tagUint16, string(binary.AppendUvarint(a[:0], uint64(x))), nil
	case uint32:
		return tagUint32, string(binary.AppendUvarint(a[:0], uint64(x))), nil
	case uint64:
		return tagUint64, string(binary.AppendUvarint(a[:0], x)), nil
	case float64:
		return tagFloat64, string(binary.LittleEndian.AppendUint64(a[:0], math.Float64bits(x))), nil
	case float32:
		return tagFloat32, string(binary.LittleEndian.AppendUint32(a[:0], math.Float32bits(x))), nil
	case []byte:
		if x == nil {
			return tagJSON, "null", nil
		}
		return tagBytes, string(x), nil
	case time.Time:
		var t [maxTimeLen]byte
		b, err := x.AppendBinary(t[:0])
		if err != nil {
			return 0, "", err
		}
		return tagTime, string(b), nil
	case nil:
		return tagJSON, "null", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0, "", err
	}
	return tagJSON, ownedString(b), nil // json.Marshal's result is ours alone
}

// maxTimeLen is the longest time.Time binary encoding (version 2, with
// seconds in the zone offset).
const maxTimeLen = 16

// integer is the integer types with a tag of their own.
type integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// integerType is the table entry of the tag that keeps an I.
func integerType[I integer](bits int) tagType {
	signed := ^I(0) < 0
	return tagType{bits: bits, signed: signed, natural: func(raw string) (any, bool) {
		return decodeInteger[I](raw, bits, signed)
	}}
}

func boxed[T any](decode func(raw string) (T, bool)) func(raw string) (any, bool) {
	return func(raw string) (any, bool) { return decode(raw) }
}

// decodeInteger decodes an integer of the given width on the wire (a
// varint if signed, else a uvarint, in exactly len(raw) bytes) into an I
// when it fits exactly: integers convert losslessly or not at all.
func decodeInteger[I integer](raw string, bits int, signed bool) (I, bool) {
	if len(raw) > binary.MaxVarintLen64 {
		return 0, false
	}
	var a [binary.MaxVarintLen64]byte
	b := a[:copy(a[:], raw)]
	if signed {
		v, n := binary.Varint(b)
		if n <= 0 || n != len(b) || (bits < 64 && (v < -(1<<(bits-1)) || v > 1<<(bits-1)-1)) {
			return 0, false
		}
		out := I(v)
		return out, int64(out) == v && (out < 0) == (v < 0)
	}
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) || (bits < 64 && v > 1<<bits-1) {
		return 0, false
	}
	out := I(v)
	return out, out >= 0 && uint64(out) == v
}

func decodeBool(raw string) (bool, bool) {
	if len(raw) != 1 || raw[0] > 1 {
		return false, false
	}
	return raw[0] == 1, true
}

func decodeFloat64(raw string) (float64, bool) {
	var a [8]byte
	if len(raw) != len(a) {
		return 0, false
	}
	copy(a[:], raw)
	return math.Float64frombits(binary.LittleEndian.Uint64(a[:])), true
}

func decodeFloat32(raw string) (float32, bool) {
	var a [4]byte
	if len(raw) != len(a) {
		return 0, false
	}
	copy(a[:], raw)
	return math.Float32frombits(binary.LittleEndian.Uint32(a[:])), true
}

func decodeTime(raw string) (time.Time, bool) {
	var a [maxTimeLen]byte
	if len(raw) > len(a) {
		return time.Time{}, false
	}
	var t time.Time
	err := t.UnmarshalBinary(a[:copy(a[:], raw)])
	return t, err == nil
}

// decodeJSONAny decodes a JSON value into an any, from a copy (see
// fromJSON).
func decodeJSONAny(raw string) (any, bool) {
	var v any
	err := json.Unmarshal([]byte(raw), &v)
	return v, err == nil
}

// natural decodes a value into the Go type it was set with; JSON values
// decode into any (maps, slices, float64, string, bool, nil).
func (e *entry) natural() (any, error) {
	if !validTag(e.tag) {
		return nil, fmt.Errorf("%w: value tag %d", errPayload, e.tag)
	}
	v, ok := tagTypes[e.tag].natural(e.raw)
	if !ok {
		return nil, errPayload
	}
	return v, nil
}

// asInteger converts an integer-tagged value, of any width, to an I when
// it fits exactly.
func asInteger[I integer](e *entry) (I, bool) {
	if !validTag(e.tag) || tagTypes[e.tag].bits == 0 {
		return 0, false
	}
	return decodeInteger[I](e.raw, tagTypes[e.tag].bits, tagTypes[e.tag].signed)
}

// asFloat64 gives a float value as a float64, and an integer value when
// the conversion is exact.
func asFloat64(e *entry) (float64, bool) {
	switch e.tag {
	case tagFloat64:
		return decodeFloat64(e.raw)
	case tagFloat32:
		f, ok := decodeFloat32(e.raw)
		return float64(f), ok
	}
	const exact = 1 << 53 // integers up to 2^53 convert to float64 exactly
	if i, ok := asInteger[int64](e); ok && -exact <= i && i <= exact {
		return float64(i), true
	}
	if u, ok := asInteger[uint64](e); ok && u <= exact {
		return float64(u), true
	}
	return 0, false
}

// as decodes e if its tag is tag.
func as[T any](e *entry, tag byte, decode func(raw string) (T, bool)) (T, bool) {
	if e.tag != tag {
		var zero T
		return zero, false
	}
	return decode(e.raw)
}

// decodeAs decodes e into a T. Integers convert between integer types when
// the value fits; integers convert to floats when exact. JSON values decode
// with encoding/json into T. It reports false when e can't become a T.
func decodeAs[T any](e *entry) (T, bool) {
	var out T
	ok := false
	switch p := any(&out).(type) {
	case *string:
		if e.tag == tagString {
			*p, ok = e.raw, true // shared: a string can't change
		}
	case *bool:
		*p, ok = as(e, tagBool, decodeBool)
	case *int:
		*p, ok = asInteger[int](e)
	case *int8:
		*p, ok = asInteger[int8](e)
	case *int16:
		*p, ok = asInteger[int16](e)
	case *int32:
		*p, ok = asInteger[int32](e)
	case *int64:
		*p, ok = asInteger[int64](e)
	case *uint:
		*p, ok = asInteger[uint](e)
	case *uint8:
		*p, ok = asInteger[uint8](e)
	case *uint16:
		*p, ok = asInteger[uint16](e)
	case *uint32:
		*p, ok = asInteger[uint32](e)
	case *uint64:
		*p, ok = asInteger[uint64](e)
	case *float64:
		*p, ok = asFloat64(e)
	case *float32:
		*p, ok = as(e, tagFloat32, decodeFloat32)
	case *[]byte:
		if e.tag == tagBytes {
			*p, ok = []byte(e.raw), true // a copy the caller may change
		}
	case *time.Time:
		*p, ok = as(e, tagTime, decodeTime)
	case *any:
		v, err := e.natural()
		*p, ok = v, err == nil
		return out, ok
	default: // another type a tagged value may be, such as an interface
		if e.tag != tagJSON {
			v, _ := e.natural() // nil on error: no T
			out, ok = v.(T)
		}
	}
	if ok {
		return out, true
	}
	return fromJSON[T](e)
}

// fromJSON decodes a JSON-stored value into a T with encoding/json.
func fromJSON[T any](e *entry) (T, bool) {
	var out T
	// A copy: encoding/json hands parts of its input to UnmarshalJSON
	// methods, which must never see (nor write) the payload's bytes.
	if e.tag != tagJSON || json.Unmarshal([]byte(e.raw), &out) != nil {
		var zero T
		return zero, false
	}
	return out, true
}
