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
// stored as JSON and decoded with encoding/json.
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

// encodeValue encodes v and returns its tag and bytes. Values of the
// standard scalar types, []byte and time.Time get compact tagged encodings;
// anything else is encoded with encoding/json, and its error is returned.
func encodeValue(v any) (byte, []byte, error) {
	switch x := v.(type) {
	case string:
		return tagString, []byte(x), nil
	case bool:
		if x {
			return tagBool, []byte{1}, nil
		}
		return tagBool, []byte{0}, nil
	case int:
		return tagInt, binary.AppendVarint(nil, int64(x)), nil
	case int8:
		return tagInt8, binary.AppendVarint(nil, int64(x)), nil
	case int16:
		return tagInt16, binary.AppendVarint(nil, int64(x)), nil
	case int32:
		return tagInt32, binary.AppendVarint(nil, int64(x)), nil
	case int64:
		return tagInt64, binary.AppendVarint(nil, x), nil
	case uint:
		return tagUint, binary.AppendUvarint(nil, uint64(x)), nil
	case uint8:
		return tagUint8, binary.AppendUvarint(nil, uint64(x)), nil
	case uint16:
		return tagUint16, binary.AppendUvarint(nil, uint64(x)), nil
	case uint32:
		return tagUint32, binary.AppendUvarint(nil, uint64(x)), nil
	case uint64:
		return tagUint64, binary.AppendUvarint(nil, x), nil
	case float64:
		return tagFloat64, binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)), nil
	case float32:
		return tagFloat32, binary.LittleEndian.AppendUint32(nil, math.Float32bits(x)), nil
	case []byte:
		if x == nil {
			return tagJSON, []byte("null"), nil
		}
		return tagBytes, append([]byte{}, x...), nil
	case time.Time:
		b, err := x.MarshalBinary()
		if err != nil {
			return 0, nil, err
		}
		return tagTime, b, nil
	case nil:
		return tagJSON, []byte("null"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0, nil, err
	}
	return tagJSON, b, nil
}

// intBits gives the width of the integer tags; 0 for other tags.
func intBits(tag byte) (bits int, signed bool) {
	switch tag {
	case tagInt, tagInt64:
		return 64, true
	case tagInt8:
		return 8, true
	case tagInt16:
		return 16, true
	case tagInt32:
		return 32, true
	case tagUint, tagUint64:
		return 64, false
	case tagUint8:
		return 8, false
	case tagUint16:
		return 16, false
	case tagUint32:
		return 32, false
	}
	return 0, false
}

// integer decodes an integer-tagged value. neg reports a negative signed
// value, whose magnitude is in -i; otherwise u holds the value.
func (e *entry) integer() (i int64, u uint64, neg, ok bool) {
	bits, signed := intBits(e.tag)
	if bits == 0 {
		return 0, 0, false, false
	}
	if signed {
		v, n := binary.Varint(e.raw)
		if n <= 0 || n != len(e.raw) {
			return 0, 0, false, false
		}
		if bits < 64 && (v < -(1<<(bits-1)) || v > (1<<(bits-1))-1) {
			return 0, 0, false, false
		}
		if v < 0 {
			return v, 0, true, true
		}
		return v, uint64(v), false, true
	}
	v, n := binary.Uvarint(e.raw)
	if n <= 0 || n != len(e.raw) {
		return 0, 0, false, false
	}
	if bits < 64 && v > (1<<bits)-1 {
		return 0, 0, false, false
	}
	return 0, v, false, true
}

// signed converts an integer value to a signed integer of the given width
// when that is lossless.
func (e *entry) signed(bits int) (int64, bool) {
	i, u, neg, ok := e.integer()
	if !ok {
		return 0, false
	}
	if neg {
		if i < -(1 << (bits - 1)) {
			return 0, false
		}
		return i, true
	}
	if u > (1<<(bits-1))-1 {
		return 0, false
	}
	return int64(u), true
}

// unsigned converts an integer value to an unsigned integer of the given
// width when that is lossless.
func (e *entry) unsigned(bits int) (uint64, bool) {
	_, u, neg, ok := e.integer()
	if !ok || neg {
		return 0, false
	}
	if bits < 64 && u > (1<<bits)-1 {
		return 0, false
	}
	return u, true
}

func (e *entry) float64v() (float64, bool) {
	switch e.tag {
	case tagFloat64:
		if len(e.raw) != 8 {
			return 0, false
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(e.raw)), true
	case tagFloat32:
		if len(e.raw) != 4 {
			return 0, false
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(e.raw))), true
	}
	i, u, neg, ok := e.integer()
	if !ok {
		return 0, false
	}
	const exact = 1 << 53 // integers up to 2^53 convert to float64 exactly
	if neg {
		if i < -exact {
			return 0, false
		}
		return float64(i), true
	}
	if u > exact {
		return 0, false
	}
	return float64(u), true
}

// natural decodes a value into the Go type it was set with; JSON values
// decode into any (maps, slices, float64, string, bool, nil).
func (e *entry) natural() (any, error) {
	switch e.tag {
	case tagString:
		return string(e.raw), nil
	case tagBool:
		if len(e.raw) != 1 || e.raw[0] > 1 {
			return nil, errPayload
		}
		return e.raw[0] == 1, nil
	case tagInt, tagInt8, tagInt16, tagInt32, tagInt64:
		i, u, neg, ok := e.integer()
		if !ok {
			return nil, errPayload
		}
		if !neg {
			i = int64(u)
		}
		switch e.tag {
		case tagInt:
			if int64(int(i)) != i {
				return nil, errPayload
			}
			return int(i), nil
		case tagInt8:
			return int8(i), nil
		case tagInt16:
			return int16(i), nil
		case tagInt32:
			return int32(i), nil
		}
		return i, nil
	case tagUint, tagUint8, tagUint16, tagUint32, tagUint64:
		_, u, _, ok := e.integer()
		if !ok {
			return nil, errPayload
		}
		switch e.tag {
		case tagUint:
			if uint64(uint(u)) != u {
				return nil, errPayload
			}
			return uint(u), nil
		case tagUint8:
			return uint8(u), nil
		case tagUint16:
			return uint16(u), nil
		case tagUint32:
			return uint32(u), nil
		}
		return u, nil
	case tagFloat64:
		f, ok := e.float64v()
		if !ok {
			return nil, errPayload
		}
		return f, nil
	case tagFloat32:
		if len(e.raw) != 4 {
			return nil, errPayload
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(e.raw)), nil
	case tagBytes:
		return append([]byte{}, e.raw...), nil
	case tagTime:
		var t time.Time
		if err := t.UnmarshalBinary(e.raw); err != nil {
			return nil, errPayload
		}
		return t, nil
	case tagJSON:
		var v any
		if err := json.Unmarshal(e.raw, &v); err != nil {
			return nil, errPayload
		}
		return v, nil
	}
	return nil, fmt.Errorf("%w: value tag %d", errPayload, e.tag)
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
			*p, ok = string(e.raw), true
		}
	case *bool:
		if e.tag == tagBool && len(e.raw) == 1 && e.raw[0] <= 1 {
			*p, ok = e.raw[0] == 1, true
		}
	case *int:
		var v int64
		if v, ok = e.signed(strconvIntSize); ok {
			*p = int(v)
		}
	case *int8:
		var v int64
		if v, ok = e.signed(8); ok {
			*p = int8(v)
		}
	case *int16:
		var v int64
		if v, ok = e.signed(16); ok {
			*p = int16(v)
		}
	case *int32:
		var v int64
		if v, ok = e.signed(32); ok {
			*p = int32(v)
		}
	case *int64:
		*p, ok = e.signed(64)
	case *uint:
		var v uint64
		if v, ok = e.unsigned(strconvIntSize); ok {
			*p = uint(v)
		}
	case *uint8:
		var v uint64
		if v, ok = e.unsigned(8); ok {
			*p = uint8(v)
		}
	case *uint16:
		var v uint64
		if v, ok = e.unsigned(16); ok {
			*p = uint16(v)
		}
	case *uint32:
		var v uint64
		if v, ok = e.unsigned(32); ok {
			*p = uint32(v)
		}
	case *uint64:
		*p, ok = e.unsigned(64)
	case *float64:
		*p, ok = e.float64v()
	case *float32:
		if e.tag == tagFloat32 && len(e.raw) == 4 {
			*p, ok = math.Float32frombits(binary.LittleEndian.Uint32(e.raw)), true
		}
	case *[]byte:
		if e.tag == tagBytes {
			*p, ok = append([]byte{}, e.raw...), true
		}
	case *time.Time:
		if e.tag == tagTime {
			ok = p.UnmarshalBinary(e.raw) == nil
		}
	case *any:
		v, err := e.natural()
		if err == nil {
			*p, ok = v, true
		}
	default:
		if e.tag != tagJSON {
			if v, err := e.natural(); err == nil {
				out, ok = v.(T)
			}
		}
	}
	if !ok && e.tag == tagJSON {
		if _, isAny := any(&out).(*any); !isAny {
			var fresh T
			out = fresh
			ok = json.Unmarshal(e.raw, &out) == nil
		}
	}
	if !ok {
		var zero T
		return zero, false
	}
	return out, true
}

const strconvIntSize = 32 << (^uint(0) >> 63)
