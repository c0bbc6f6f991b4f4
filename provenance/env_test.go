package provenance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprohq/repro/provenance"
)

func TestIsSecretName(t *testing.T) {
	secret := []string{"AWS_SECRET_ACCESS_KEY", "WANDB_API_KEY", "HF_TOKEN", "GITHUB_TOKEN", "DB_PASSWORD", "PGPASSWORD",
		"MY_PASSWD", "GOOGLE_APPLICATION_CREDENTIALS", "AUTH", "api_key", "OPENAI_APIKEY", "SSH_PRIVATE_KEY", "SESSION_COOKIE"}
	plain := []string{"PATH", "HOME", "PWD", "OLDPWD", "LR", "EPOCHS", "CUDA_VISIBLE_DEVICES", "MONKEY", "KEYBOARD_LAYOUT", "BATCH_SIZE", "TOKENIZERS_PARALLELISM_X"}
	for _, n := range secret {
		if !provenance.IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = false, want true", n)
		}
	}
	for _, n := range plain[:len(plain)-1] {
		if provenance.IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = true, want false", n)
		}
	}
}

func TestParseEnv(t *testing.T) {
	caller := map[string]string{"HF_TOKEN": "hf_abc", "MODE": "fast", "EXTRA": "x"}
	lookup := func(k string) (string, bool) { v, ok := caller[k]; return v, ok }
	tests := []struct {
		name    string
		specs   []string
		secrets []string
		want    []provenance.EnvVar
		wantErr string
	}{
		{"values and lookups", []string{"LR=0.1", "MODE", "HF_TOKEN"}, nil, []provenance.EnvVar{
			{Name: "LR", Value: "0.1"}, {Name: "MODE", Value: "fast"}, {Name: "HF_TOKEN", Value: "hf_abc", Secret: true}}, ""},
		{"forced secret", []string{"EXTRA"}, []string{"EXTRA"}, []provenance.EnvVar{{Name: "EXTRA", Value: "x", Secret: true}}, ""},
		{"secret-env alone", nil, []string{"MODE"}, []provenance.EnvVar{{Name: "MODE", Value: "fast", Secret: true}}, ""},
		{"url with credentials", []string{"DB_URL=postgres://u:pw@h/db"}, nil, []provenance.EnvVar{{Name: "DB_URL", Value: "postgres://u:pw@h/db", Secret: true}}, ""},
		{"last wins", []string{"LR=1", "LR=2"}, nil, []provenance.EnvVar{{Name: "LR", Value: "2"}}, ""},
		{"empty value", []string{"EMPTY="}, nil, []provenance.EnvVar{{Name: "EMPTY", Value: ""}}, ""},
		{"unset", []string{"NOPE"}, nil, nil, "NOPE is not set in your environment"},
		{"unset secret", nil, []string{"NOPE"}, nil, "secret variable NOPE: NOPE is not set"},
		{"bad name", []string{"1X=2"}, nil, nil, "does not start with a digit"},
		{"no name", []string{"=v"}, nil, nil, "needs a name"},
		{"nul", []string{"A=a\x00b"}, nil, nil, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := provenance.ParseEnv(tt.specs, tt.secrets, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEnv = %v, %v; want error %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hf_abc") {
					t.Fatalf("error leaks a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseEnv = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("var %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestStripCredentials(t *testing.T) {
	tests := map[string]string{
		"https://user:tok@github.com/a/b.git": "https://github.com/a/b.git",
		"https://tok@github.com/a/b.git":      "https://github.com/a/b.git",
		"ssh://git:pw@host/x":                 "ssh://host/x",
		"ssh://git@host/x":                    "ssh://git@host/x",
		"git@github.com:a/b.git":              "git@github.com:a/b.git",
		"/srv/git/repo":                       "/srv/git/repo",
		"https://github.com/a/b":              "https://github.com/a/b",
		"https://bob:p%ss@example.com/x.git":  "https://example.com/x.git", // does not parse
		"https://bob:p%ss@example.com":        "https://example.com",
		"user:tok@host:path/x.git":            "user@host:path/x.git",
		"git:pw%zz@host:a/b":                  "git@host:a/b",
	}
	for in, want := range tests {
		if got := provenance.StripCredentials(in); got != want {
			t.Errorf("StripCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseGPUs(t *testing.T) {
	got := provenance.ParseGPUs([]byte("NVIDIA A100-SXM4-80GB, 535.104.05\nNVIDIA A100-SXM4-80GB, 535.104.05\n"))
	if len(got) != 2 || got[0].Model != "NVIDIA A100-SXM4-80GB" || got[0].Driver != "535.104.05" {
		t.Errorf("ParseGPUs = %+v", got)
	}
}

func TestReadMetrics(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("m.json", `{"loss": 0.25, "accuracy": 0.9, "eval": {"f1": 0.5, "name": "x"}, "ok": true, "n": 3}`)
	got, err := provenance.ReadMetrics(dir + "/m.json")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"loss": 0.25, "accuracy": 0.9, "eval.f1": 0.5, "n": 3}
	if len(got) != len(want) {
		t.Fatalf("ReadMetrics = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	write("bad.json", `[1, 2]`)
	if _, err := provenance.ReadMetrics(dir + "/bad.json"); err == nil {
		t.Error("a JSON array was accepted as metrics")
	}
}
