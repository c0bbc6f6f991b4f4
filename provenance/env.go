package provenance

import (
	"fmt"
	"net/url"
	"strings"
)

// EnvVar is one variable for the container. A secret's value is passed to
// the container but never recorded.
type EnvVar struct {
	Name   string
	Value  string
	Secret bool
}

// secretWords mark a variable as secret when they appear as a whole
// '_'-separated word of its name (AWS_SECRET_ACCESS_KEY, HF_TOKEN) or, for
// the longer ones, anywhere in it (DBPASSWORD).
var (
	secretWords     = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "PWD", "CREDENTIAL", "CREDENTIALS", "AUTH", "APIKEY", "PRIVATE", "COOKIE", "SESSION", "SIGNATURE", "CERT"}
	secretFragments = []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "API_KEY", "CREDENTIAL", "PRIVATE_KEY"}
	notSecret       = map[string]bool{"PWD": true, "OLDPWD": true, "KEYTIMEOUT": true}
)

// IsSecretName says whether a variable's name looks like it holds a secret.
func IsSecretName(name string) bool {
	up := strings.ToUpper(name)
	if notSecret[up] {
		return false
	}
	for _, f := range secretFragments {
		if strings.Contains(up, f) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(up, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		for _, s := range secretWords {
			if w == s {
				return true
			}
		}
	}
	return false
}

// hasURLCredentials says whether a value is a URL carrying user:password.
func hasURLCredentials(v string) bool {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// ParseEnv turns -e specs (NAME=VALUE, or NAME to take the caller's value)
// into variables. Names in secretNames, names that look secret, and
// values that are URLs with credentials are marked secret.
func ParseEnv(specs, secretNames []string, lookup func(string) (string, bool)) ([]EnvVar, error) {
	forced := map[string]bool{}
	for _, n := range secretNames {
		if err := validEnvName(n); err != nil {
			return nil, fmt.Errorf("--secret-env %s", err)
		}
		forced[n] = true
	}
	seen := map[string]int{}
	var vars []EnvVar
	for _, spec := range specs {
		name, value, hasValue := strings.Cut(spec, "=")
		if err := validEnvName(name); err != nil {
			return nil, fmt.Errorf("-e %s", err)
		}
		if hasValue && (forced[name] || IsSecretName(name) || LooksLikeToken(value)) {
			return nil, fmt.Errorf("-e %s=...: a secret's value does not go on the command line, where shell history and the process list keep it: export %s and pass -e %s (its value is never recorded)", name, name, name)
		}
		if !hasValue {
			v, ok := lookup(name)
			if !ok {
				return nil, fmt.Errorf("-e %s: %s is not set in your environment; set it or write -e %s=VALUE", name, name, name)
			}
			value = v
		}
		if strings.ContainsRune(value, 0) {
			return nil, fmt.Errorf("-e %s: the value contains a NUL byte", name)
		}
		v := EnvVar{Name: name, Value: value, Secret: forced[name] || IsSecretName(name) || hasURLCredentials(value)}
		if i, ok := seen[name]; ok {
			vars[i] = v // the last one wins, as with docker
			continue
		}
		seen[name] = len(vars)
		vars = append(vars, v)
	}
	// A --secret-env name not given with -e is taken from the environment.
	for _, n := range secretNames {
		if _, ok := seen[n]; ok {
			continue
		}
		v, ok := lookup(n)
		if !ok {
			return nil, fmt.Errorf("--secret-env %s: %s is not set in your environment", n, n)
		}
		seen[n] = len(vars)
		vars = append(vars, EnvVar{Name: n, Value: v, Secret: true})
	}
	return vars, nil
}

func validEnvName(n string) error {
	if n == "" {
		return fmt.Errorf("needs a variable name, as in -e NAME=VALUE")
	}
	for i, c := range n {
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return fmt.Errorf("%q: a variable name has letters, digits and '_', and does not start with a digit", clip(n))
		}
	}
	return nil
}
