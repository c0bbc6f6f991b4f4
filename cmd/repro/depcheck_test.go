package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/reprohq/repro"

// TestDependencyDirection keeps the layout honest: dependencies point one
// way, and only cmd/ knows about cobra, tables and terminals.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string][]string{ // our packages each may import
		"ident":      {},
		"schema":     {},
		"trust":      {},
		"provenance": {"ident"},
		"engine":     {"provenance"},
		"runlog":     {"ident", "schema"},
		"launch":     {"engine", "provenance", "runlog"},
		"rerun":      {"ident", "launch", "provenance", "runlog"},
		"image":      {"provenance", "runlog"},
		"attest":     {"provenance", "runlog"},
		"slurm":      {"engine", "launch", "rerun", "runlog"},
		"compare":    {"launch", "provenance", "rerun", "runlog"},
	}
	cmdOnly := []string{"github.com/spf13/cobra", "github.com/olekukonko/tablewriter", "golang.org/x/term"}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], module+"/"), fields[1:]
		if strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "testdata") {
			continue
		}
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s has no rule here; add one", pkg)
			continue
		}
		seen++
		for _, imp := range imports {
			for _, c := range cmdOnly {
				if imp == c || strings.HasPrefix(imp, c+"/") {
					t.Errorf("%s imports %s, which belongs in cmd/ only", pkg, imp)
				}
			}
			ours, isOurs := strings.CutPrefix(imp, module+"/")
			if !isOurs {
				continue
			}
			if !contains(ok, ours) {
				t.Errorf("%s imports %s; allowed: %v", pkg, ours, ok)
			}
		}
	}
	if seen != len(allowed) {
		t.Errorf("checked %d packages, want %d", seen, len(allowed))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
