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

// EnvProblem is what is wrong with a variable a run was given.
type EnvProblem int

const (
	EnvBadName     EnvProblem = iota // not a variable name (Detail says why)
	EnvSecretValue                   // a secret's value given on the command line
	EnvNotSet                        // to be passed from the caller's environment, where it is not set
	EnvNULValue                      // a value holding a NUL byte
	EnvExportOnly                    // a value the engine takes only from the environment
)

// EnvError is a variable ParseEnv refused. Secret says it was named
// among the secret names, not the specs; Name is the variable's name (for
// EnvBadName, the name as given), never its value.
type EnvError struct {
	Secret  bool
	Name    string
	Problem EnvProblem
	Detail  string
}

func (e *EnvError) Error() string {
	what := "variable " + e.Name
	if e.Problem == EnvBadName {
		what = fmt.Sprintf("variable %q", e.Name)
	}
	if e.Secret {
		what = "secret " + what
	}
	switch e.Problem {
	case EnvSecretValue:
		return what + ": a secret's value does not go on the command line, where shell history and the process list keep it: export " + e.Name + " and pass its name alone (its value is never recorded)"
	case EnvNotSet:
		return what + ": " + e.Name + " is not set in your environment"
	case EnvNULValue:
		return what + ": the value contains a NUL byte"
	case EnvExportOnly:
		return what + ": its value has a line break, invalid UTF-8 or over 60 KB, which the engine takes only from the environment: export " + e.Name + " and pass its name alone"
	}
	return what + ": " + e.Detail
}

// ParseEnv turns specs (NAME=VALUE, or NAME to take the caller's value)
// into variables. Names in secretNames, names that look secret, and
// values that are URLs with credentials are marked secret. A refused
// variable is an *EnvError.
func ParseEnv(specs, secretNames []string, lookup func(string) (string, bool)) ([]EnvVar, error) {
	forced := map[string]bool{}
	for _, n := range secretNames {
		if why := badEnvName(n); why != "" {
			return nil, &EnvError{Secret: true, Name: clip(n), Problem: EnvBadName, Detail: why}
		}
		forced[n] = true
	}
	seen := map[string]int{}
	var vars []EnvVar
	for _, spec := range specs {
		name, value, hasValue := strings.Cut(spec, "=")
		if why := badEnvName(name); why != "" {
			return nil, &EnvError{Name: clip(name), Problem: EnvBadName, Detail: why}
		}
		if hasValue && (forced[name] || IsSecretName(name) || LooksLikeToken(value)) {
			return nil, &EnvError{Name: name, Problem: EnvSecretValue}
		}
		if !hasValue {
			v, ok := lookup(name)
			if !ok {
				return nil, &EnvError{Name: name, Problem: EnvNotSet}
			}
			value = v
		}
		if strings.ContainsRune(value, 0) {
			return nil, &EnvError{Name: name, Problem: EnvNULValue}
		}
		v := EnvVar{Name: name, Value: value, Secret: forced[name] || IsSecretName(name) || hasURLCredentials(value)}
		if i, ok := seen[name]; ok {
			vars[i] = v // the last one wins, as with docker
			continue
		}
		seen[name] = len(vars)
		vars = append(vars, v)
	}
	// A secret name not given among the specs is taken from the environment.
	for _, n := range secretNames {
		if _, ok := seen[n]; ok {
			continue
		}
		v, ok := lookup(n)
		if !ok {
			return nil, &EnvError{Secret: true, Name: n, Problem: EnvNotSet}
		}
		seen[n] = len(vars)
		vars = append(vars, EnvVar{Name: n, Value: v, Secret: true})
	}
	return vars, nil
}

// badEnvName says what is wrong with n as a variable name ("": nothing).
func badEnvName(n string) string {
	if n == "" {
		return "a variable needs a name, as in NAME=VALUE"
	}
	for i, c := range n {
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return "a variable name has letters, digits and '_', and does not start with a digit"
		}
	}
	return ""
}
