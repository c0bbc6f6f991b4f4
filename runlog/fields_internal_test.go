package runlog

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// notChained are the fields of Run the chain leaves out on purpose.
var notChained = map[string]string{
	"Labels": "labels are changed after the fact by repro label",
	"Patch":  "the patch is chained through PatchDigest, its sha256",
}

// TestRunFields_Chained: every field of Run either reaches the chain's
// canonical encoding (changing it changes the link) or is listed in
// notChained with the reason; a field added to Run without deciding
// fails here.
func TestRunFields_Chained(t *testing.T) {
	rt := reflect.TypeFor[Run]()
	ct := reflect.TypeFor[canonicalV1]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		_, chained := ct.FieldByName(f.Name)
		_, excluded := notChained[f.Name]
		switch {
		case chained && excluded:
			t.Errorf("Run.%s is in canonicalV1 and in notChained", f.Name)
		case !chained && !excluded:
			t.Errorf("Run.%s is neither in canonicalV1 (the chain) nor in notChained: decide", f.Name)
		}
		if !chained {
			continue
		}
		// Changing the field changes the encoding.
		code := 0
		end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		base := Run{ID: "00000000000000000000000000000001", ExitCode: &code, StartedAt: end, FinishedAt: &end}
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		setNonZero(t, f.Name, v)
		if bytes.Equal(canonical(&base), canonical(&changed)) {
			t.Errorf("changing Run.%s does not change its chain encoding", f.Name)
		}
	}
	for i := range ct.NumField() {
		if n := ct.Field(i).Name; n != "V" {
			if _, ok := rt.FieldByName(n); !ok {
				t.Errorf("canonicalV1.%s has no field in Run", n)
			}
		}
	}
}

// setNonZero gives v a value other than the one TestRunFields_Chained's
// base run has.
func setNonZero(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		switch v.Type().Elem().Kind() {
		case reflect.Int:
			n := 3
			v.Set(reflect.ValueOf(&n))
		default:
			later := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			v.Set(reflect.ValueOf(&later))
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		if e := s.Index(0); e.Kind() == reflect.String {
			e.SetString("x")
		} else if e.Kind() == reflect.Struct {
			e.Field(0).Set(reflect.ValueOf("x").Convert(e.Field(0).Type()))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("k"), reflect.Zero(v.Type().Elem()))
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
			return
		}
		f := v.Field(0)
		f.Set(reflect.ValueOf("x").Convert(f.Type()))
	default:
		t.Fatalf("Run.%s: no test value for a %s", name, v.Kind())
	}
}
