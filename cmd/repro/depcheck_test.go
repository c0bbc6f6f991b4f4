package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/reprohq/repro"

// TestDependencyDirection keeps the layout honest: dependencies point one
// way, tests included, and only cmd/ knows about cobra, tables and
// terminals. A package's tests may import what it may, itself (external
// tests) and the packages that are for tests only (testOnly).
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		"{{.ImportPath}}{{range .Imports}} {{.}}{{end}} |{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string][]string{ // our packages each may import
		"ident":               {},
		"schema":              {},
		"trust":               {},
		"internal/fastfs":     {},
		"internal/testfs":     {},
		"internal/pgtest":     {},
		"provenance":          {"ident"},
		"provenance/dataset":  {"internal/fastfs"},
		"provenance/gitstate": {"ident", "internal/fastfs", "provenance"},
		"engine":              {"provenance"},
		"runlog":              {"ident", "schema"},
		"launch":              {"engine", "provenance", "provenance/dataset", "provenance/gitstate", "runlog"},
		"rerun":               {"ident", "launch", "provenance", "provenance/dataset", "provenance/gitstate", "runlog"},
		"image":               {"provenance", "provenance/dataset", "provenance/gitstate", "runlog"},
		"attest":              {"provenance", "runlog"},
		"slurm":               {"engine", "launch", "rerun", "runlog"},
		"compare":             {"launch", "provenance/gitstate", "rerun", "runlog"},
	}
	testOnly := []string{"internal/testfs", "internal/pgtest"}
	cmdOnly := []string{"github.com/spf13/cobra", "github.com/olekukonko/tablewriter", "golang.org/x/term"}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		code, tests, _ := strings.Cut(line, "|")
		fields := strings.Fields(code)
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
		check := func(imp string, ok []string, what string) {
			for _, c := range cmdOnly {
				if imp == c || strings.HasPrefix(imp, c+"/") {
					t.Errorf("%s%s imports %s, which belongs in cmd/ only", pkg, what, imp)
				}
			}
			ours, isOurs := strings.CutPrefix(imp, module+"/")
			if isOurs && !contains(ok, ours) {
				t.Errorf("%s%s imports %s; allowed: %v", pkg, what, ours, ok)
			}
		}
		for _, imp := range imports {
			if ours, _ := strings.CutPrefix(imp, module+"/"); contains(testOnly, ours) {
				t.Errorf("%s imports %s, which is for tests", pkg, ours)
			}
			check(imp, ok, "")
		}
		forTests := append(append([]string{pkg}, testOnly...), ok...)
		for _, imp := range strings.Fields(tests) {
			check(imp, forTests, "'s tests")
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
