package web

import (
	"encoding/binary"
	"math"
	"reflect"
)

// fingerprint is the bytes of values, every field of every struct reached,
// for componentKey: what fmt's %+v printed, without the formatting. At a
// thousand components formatting their records, monitors and outages (their
// times above all) was most of the front page's work after a write.
//
// Two values that differ anywhere differ here. A pointer is its address and
// a time.Time its inner fields (instant, monotonic reading and location's
// address), as %+v printed a pointer's address and a time's reading and
// zone: an equal time held another way only makes a page render again.
type fingerprint []byte

func (f *fingerprint) add(vs ...any) {
	for _, v := range vs {
		f.value(reflect.ValueOf(v))
	}
}

func (f *fingerprint) value(v reflect.Value) {
	b := *f
	switch v.Kind() {
	case reflect.Invalid:
		b = append(b, 0)
	case reflect.Bool:
		if v.Bool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b = binary.LittleEndian.AppendUint64(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Float()))
	case reflect.String:
		s := v.String()
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	case reflect.Pointer, reflect.UnsafePointer, reflect.Chan, reflect.Func:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Pointer()))
	case reflect.Struct:
		*f = b
		for i := range v.NumField() {
			f.value(v.Field(i))
		}
		return
	case reflect.Slice, reflect.Array:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		*f = b
		for i := range v.Len() {
			f.value(v.Index(i))
		}
		return
	case reflect.Interface:
		*f = b
		f.value(v.Elem())
		return
	default:
		// Maps and complex numbers are in none of the records fingerprinted;
		// one that gains such a field must not be fingerprinted wrong.
		panic("web: fingerprint of a " + v.Kind().String())
	}
	*f = b
}
