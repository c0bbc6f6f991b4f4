package provenance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprohq/repro/provenance"
)

func TestSecretArg(t *testing.T) {
	tests := map[string]bool{
		"--wandb-key=0123456789abcdef0123456789abcdef01234567": true,
		"--api-token=abc":                             true,
		"--db-password=hunter2":                       true,
		"--hf_token=x":                                true,
		"AKIAABCDEFGHIJKLMNOP":                        true,
		"--token=" + "ghp_" + strings.Repeat("a", 36): true,
		"hf_" + strings.Repeat("b", 34):               true,
		"--sort-key=name":                             false,
		"--key-column=id":                             false,
		"--lr=0.01":                                   false,
		"--api-token":                                 false, // the value comes later, or from the environment
		"--password-file=/run/secrets/pw":             false, // where the secret is, not the secret
		"train.py":                                    false,
		"--tokenizer=bpe":                             false,
	}
	for arg, want := range tests {
		if got := provenance.SecretArg(arg); got != want {
			t.Errorf("SecretArg(%q) = %v, want %v", arg, got, want)
		}
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		".env":              "LR=0.1\n",
		"conf/prod.env":     "X=1\n",
		"deploy/key.pem":    "x",
		"notes.txt":         "aws key AKIAABCDEFGHIJKLMNOP here\n",
		"sa.json":           `{"type": "service_account", "project_id": "p"}`,
		"train.py":          "import os\nkey = os.environ['WANDB_API_KEY']\n",
		"config.yaml":       "lr: 0.01\nsort_key: name\n",
		"ssh/id_ed25519":    "x",
		"ssh/id_ed25519.md": "about keys",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{".env": true, "conf/prod.env": true, "deploy/key.pem": true, "notes.txt": true, "sa.json": true,
		"train.py": false, "config.yaml": false, "ssh/id_ed25519": true, "ssh/id_ed25519.md": true, "gone.txt": false}
	for name, secret := range want {
		if got := provenance.SecretFile(dir, name) != ""; got != secret {
			t.Errorf("SecretFile(%q) = %v, want %v", name, got, secret)
		}
	}
}

func TestParseEnv_InlineSecretRefused(t *testing.T) {
	lookup := func(string) (string, bool) { return "", false }
	for _, spec := range []string{"API_TOKEN=abc", "HF_TOKEN=hf_x", "NOTE=AKIAABCDEFGHIJKLMNOP"} {
		_, err := provenance.ParseEnv([]string{spec}, nil, lookup)
		if err == nil || !strings.Contains(err.Error(), "pass its name alone") {
			t.Errorf("ParseEnv(%q) = %v, want a refusal with the by-name form", spec, err)
			continue
		}
		if _, value, _ := strings.Cut(spec, "="); strings.Contains(err.Error(), value) {
			t.Errorf("ParseEnv(%q): the error repeats the value: %v", spec, err)
		}
	}
	if _, err := provenance.ParseEnv([]string{"LR=0.1"}, nil, lookup); err != nil {
		t.Errorf("a plain inline value was refused: %v", err)
	}
}
