package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/reprohq/repro/runlog"
)

// TestRunView_Fields: every field of a stored run is printed by ls
// --json and show --json under the name it has always had, or is left
// out here on purpose; a field added to runlog.Run fails this test until
// the CLI's contract decides.
func TestRunView_Fields(t *testing.T) {
	notPrinted := map[string]string{"Patch": "the uncommitted changes are read with repro rerun; code_patch is their digest"}
	pairs := []struct{ stored, view reflect.Type }{
		{reflect.TypeFor[runlog.Run](), reflect.TypeFor[runView]()},
		{reflect.TypeFor[runlog.EnvVar](), reflect.TypeFor[envView]()},
		{reflect.TypeFor[runlog.Dataset](), reflect.TypeFor[datasetView]()},
		{reflect.TypeFor[runlog.Output](), reflect.TypeFor[outputView]()},
		{reflect.TypeFor[runlog.Host](), reflect.TypeFor[hostView]()},
		{reflect.TypeFor[runlog.GPU](), reflect.TypeFor[gpuView]()},
		{reflect.TypeFor[runlog.Engine](), reflect.TypeFor[engineView]()},
		{reflect.TypeFor[runlog.Job](), reflect.TypeFor[jobView]()},
	}
	for _, p := range pairs {
		for i := range p.stored.NumField() {
			f := p.stored.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			if _, skip := notPrinted[f.Name]; skip {
				continue
			}
			v, ok := p.view.FieldByName(f.Name)
			if !ok {
				t.Errorf("%s.%s is not in %s: print it, or say in notPrinted why not", p.stored.Name(), f.Name, p.view.Name())
				continue
			}
			if name, _, _ := strings.Cut(tag, ","); !strings.HasPrefix(v.Tag.Get("json"), name+",") && v.Tag.Get("json") != name {
				t.Errorf("%s.%s prints as %q, stored as %q", p.view.Name(), f.Name, v.Tag.Get("json"), tag)
			}
		}
	}
}
