package provenance

import (
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
)

// Token shapes of the services ML code talks to. A value of one of these
// shapes is a credential whatever it is called.
var tokenPatterns = sync.OnceValue(func() []*regexp.Regexp {
	var res []*regexp.Regexp
	for _, p := range []string{
		`AKIA[0-9A-Z]{16}`,                             // AWS access key ID
		`(?i)aws_secret_access_key\s*[=:]\s*\S{20,}`,   // AWS secret in a config or .env
		`gh[pousr]_[A-Za-z0-9]{36,}`,                   // GitHub tokens
		`github_pat_[A-Za-z0-9_]{40,}`,                 // GitHub fine-grained tokens
		`hf_[A-Za-z0-9]{30,}`,                          // Hugging Face
		`xox[abposr]-[A-Za-z0-9-]{10,}`,                // Slack
		`sk-[A-Za-z0-9_-]{20,}`,                        // OpenAI-style API keys
		`-----BEGIN [A-Z ]*PRIVATE KEY-----`,           // PEM private keys
		`"type"\s*:\s*"service_account"`,               // GCP service-account JSON
		`(?i)wandb_api_key\s*[=:]\s*['"]?[0-9a-f]{40}`, // W&B key assignments
	} {
		res = append(res, regexp.MustCompile(p))
	}
	return res
})

// LooksLikeToken says whether s holds a value of a known credential shape.
func LooksLikeToken(s string) bool {
	for _, re := range tokenPatterns() {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// secretFileNames are file names (matched on the base name) that hold
// credentials by convention.
var secretFileNames = []string{".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
	"credentials", "credentials.json", ".netrc", ".pgpass", ".git-credentials", ".npmrc", ".pypirc", "service-account*.json", "*.kdbx"}

// maxSecretScan bounds how much of a changed file is searched for tokens.
const maxSecretScan = 1 << 20

// SecretFile says why the file rel (slash-separated, under the work tree
// dir) looks like it holds a credential, or "" when it does not: its name,
// or a token shape in its first megabyte.
func SecretFile(dir, rel string) string {
	base := path.Base(rel)
	for _, p := range secretFileNames {
		if ok, _ := path.Match(p, base); ok {
			return "its name (" + p + ") is one credentials are kept in"
		}
	}
	f, err := os.Open(dir + "/" + rel)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretScan))
	if err != nil {
		return ""
	}
	if LooksLikeToken(string(b)) {
		return "it holds something shaped like an access token or private key"
	}
	return ""
}

// SecretArg says whether a command-line argument carries a credential
// inline: --wandb-key=VALUE, --api-token=VALUE (a name that reads as a
// secret, with a value), or any value of a known token shape.
func SecretArg(a string) bool {
	if LooksLikeToken(a) {
		return true
	}
	if !strings.HasPrefix(a, "-") {
		return false
	}
	name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
	if !ok || value == "" {
		return false
	}
	up := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	words := strings.Split(up, "_")
	switch words[len(words)-1] {
	case "FILE", "PATH", "DIR", "ENV", "VAR", "NAME": // where the secret is, not the secret
		return false
	}
	for _, w := range words {
		switch w {
		case "SECRET", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS":
			return true
		}
	}
	for _, f := range []string{"API_KEY", "PRIVATE_KEY", "ACCESS_KEY"} {
		if strings.Contains(up, f) {
			return true
		}
	}
	return serviceKey().MatchString(up)
}

// serviceKey matches option names that are a service's key (WANDB_KEY),
// not any key (SORT_KEY).
var serviceKey = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|_)(WANDB|HF|HUGGINGFACE|OPENAI|ANTHROPIC|AWS|GITHUB|GH|COMET|NEPTUNE|MLFLOW|CLEARML)_?(ACCESS_)?KEY$`)
})
