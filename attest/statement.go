package attest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reprohq/repro/runlog"
)

// The in-toto and SLSA names an attestation carries.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	BuildType     = "https://github.com/reprohq/repro/run/v1"
	BuilderID     = "https://github.com/reprohq/repro"
)

// Statement is an in-toto Statement v1 with a SLSA provenance predicate.
type Statement struct {
	Type          string     `json:"_type"`
	Subject       []Resource `json:"subject"`
	PredicateType string     `json:"predicateType"`
	Predicate     Provenance `json:"predicate"`
}

// Resource is an in-toto resource descriptor.
type Resource struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// Provenance is SLSA provenance v1.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what the run was asked to do and with what.
type BuildDefinition struct {
	BuildType            string     `json:"buildType"`
	ExternalParameters   Parameters `json:"externalParameters"`
	InternalParameters   *Internal  `json:"internalParameters,omitempty"`
	ResolvedDependencies []Resource `json:"resolvedDependencies"`
}

// Internal is what repro itself needs to re-run the run elsewhere (repro
// import): its whole record, as repro ls --json shows it, and its
// uncommitted changes when it had them.
type Internal struct {
	Run   json.RawMessage `json:"run"`
	Patch string          `json:"patch,omitempty"` // base64
}

// Parameters are the run's command, environment, mounts and resources.
type Parameters struct {
	Argv    []string           `json:"argv"`
	Env     map[string]*string `json:"env"` // a secret's value is null: never recorded
	Workdir string             `json:"workdir,omitempty"`
	Mounts  []Mount            `json:"mounts"`
	Memory  string             `json:"memory,omitempty"`
	GPUs    string             `json:"gpus,omitempty"`
}

// Mount is where an input or the outputs appeared in the container.
type Mount struct {
	Source   string `json:"source"` // code, data/NAME or outputs
	Target   string `json:"target"`
	ReadOnly bool   `json:"readonly"`
}

// RunDetails is who ran it, when and how it ended.
type RunDetails struct {
	Builder    Builder    `json:"builder"`
	Metadata   Metadata   `json:"metadata"`
	Byproducts []Resource `json:"byproducts"`
}

// Builder is repro, at the version that made the run.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Metadata identifies the run.
type Metadata struct {
	InvocationID string `json:"invocationId"`
	StartedOn    string `json:"startedOn"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// StatementFor builds the statement of a finished run: the image it ran
// and its output files are the subjects; the image, commit, datasets and
// patch what it depended on; its record and patch (the run's stored
// uncommitted changes, nil when none) ride along for repro import.
func StatementFor(r *runlog.Run, patch []byte) (*Statement, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Status == runlog.StatusRunning || r.FinishedAt == nil {
		return nil, fmt.Errorf("run %s is still running; attest a finished run", r.ShortID())
	}
	if len(r.Outputs) == 0 {
		return nil, fmt.Errorf("run %s recorded no outputs: an attestation is about files, and it has none", r.ShortID())
	}
	s := &Statement{Type: StatementType, PredicateType: PredicateType}
	// The image is a subject too: cosign checks that an attestation names
	// the image it is attached to. Then the files the run made.
	s.Subject = append(s.Subject, Resource{Name: r.ImageRepo, Digest: map[string]string{"sha256": hexOf(r.ImageDigest)}})
	for _, o := range r.Outputs {
		s.Subject = append(s.Subject, Resource{Name: o.Path, Digest: map[string]string{"sha256": hexOf(o.Digest)}})
	}
	p := &s.Predicate
	p.BuildDefinition.BuildType = BuildType
	params := &p.BuildDefinition.ExternalParameters
	params.Argv, params.Workdir, params.Memory, params.GPUs = r.Argv, r.Workdir, r.Memory, r.GPUs
	params.Env = map[string]*string{}
	for _, e := range r.Env {
		if e.Secret {
			params.Env[e.Name] = nil
		} else {
			v := e.Value
			params.Env[e.Name] = &v
		}
	}
	params.Mounts = []Mount{}
	deps := []Resource{{
		URI:    r.ImageRepo + "@" + r.ImageDigest,
		Digest: map[string]string{"sha256": hexOf(r.ImageDigest)},
	}}
	if r.ImageIndexDigest != "" {
		deps[0].Annotations = map[string]any{"index_digest": r.ImageIndexDigest}
	}
	if r.Commit != "" {
		d := Resource{Name: "code", URI: r.Remote, Digest: map[string]string{"gitCommit": r.Commit}}
		if r.Dirty {
			d.Annotations = map[string]any{"dirty": true}
		}
		deps = append(deps, d)
		if r.CodeMount {
			params.Mounts = append(params.Mounts, Mount{Source: "code", Target: "/workspace", ReadOnly: true})
		}
	}
	for _, d := range r.Data {
		deps = append(deps, Resource{Name: "data/" + d.Name, Digest: map[string]string{"sha256": hexOf(d.Digest)},
			Annotations: map[string]any{"kind": d.Kind, "files": d.Files, "bytes": d.Bytes}})
		params.Mounts = append(params.Mounts, Mount{Source: "data/" + d.Name, Target: "/data/" + d.Name, ReadOnly: true})
	}
	if r.PatchDigest != "" {
		deps = append(deps, Resource{Name: "patch", Digest: map[string]string{"sha256": hexOf(r.PatchDigest)}})
	}
	if r.OutDir != "" {
		params.Mounts = append(params.Mounts, Mount{Source: "outputs", Target: "/out"})
	}
	p.BuildDefinition.ResolvedDependencies = deps
	rec, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	p.BuildDefinition.InternalParameters = &Internal{Run: rec}
	if len(patch) > 0 {
		p.BuildDefinition.InternalParameters.Patch = base64.StdEncoding.EncodeToString(patch)
	}
	p.RunDetails.Builder = Builder{ID: BuilderID}
	if r.ReproVersion != "" {
		p.RunDetails.Builder.Version = map[string]string{"repro": r.ReproVersion}
	}
	p.RunDetails.Metadata = Metadata{InvocationID: r.ID, StartedOn: r.StartedAt.UTC().Format(time.RFC3339Nano), FinishedOn: r.FinishedAt.UTC().Format(time.RFC3339Nano)}
	exit := map[string]any{"status": r.Status}
	if r.ExitCode != nil {
		exit["exit_code"] = *r.ExitCode
	}
	p.RunDetails.Byproducts = []Resource{{Name: "exit", Annotations: exit}}
	return s, nil
}

// Marshal is the statement's canonical JSON: object keys sorted at every
// level, no insignificant whitespace, no HTML escaping, numbers as
// written; the same bytes for the same run.
func (s *Statement) Marshal() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps: keys sorted
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// ParseStatement reads a statement back, refusing any other kind.
func ParseStatement(b []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("not an in-toto statement: %w", err)
	}
	if s.Type != StatementType || s.PredicateType != PredicateType {
		return nil, fmt.Errorf("statement of type %q with predicate %q, not a repro run's provenance", s.Type, s.PredicateType)
	}
	if !runlog.ValidID(s.Predicate.RunDetails.Metadata.InvocationID) {
		return nil, errors.New("its invocationId is not a run ID")
	}
	return &s, nil
}

// RunFrom reads the run back from a statement (its internal parameters),
// with its patch, and checks it against what the statement says of it:
// the same run ID, image and outputs. The run is input: it is validated
// as any record read back is.
func RunFrom(s *Statement) (*runlog.Run, []byte, error) {
	in := s.Predicate.BuildDefinition.InternalParameters
	if in == nil || len(in.Run) == 0 {
		return nil, nil, errors.New("the attestation carries no run record (not made by repro attest)")
	}
	var r runlog.Run
	if err := json.Unmarshal(in.Run, &r); err != nil {
		return nil, nil, fmt.Errorf("its run record: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	if r.ID != s.Predicate.RunDetails.Metadata.InvocationID {
		return nil, nil, fmt.Errorf("its run record is run %s, its invocationId %s", r.ShortID(), s.Predicate.RunDetails.Metadata.InvocationID)
	}
	want := []Resource{{Name: r.ImageRepo, Digest: map[string]string{"sha256": hexOf(r.ImageDigest)}}}
	for _, o := range r.Outputs {
		want = append(want, Resource{Name: o.Path, Digest: map[string]string{"sha256": hexOf(o.Digest)}})
	}
	if len(want) != len(s.Subject) {
		return nil, nil, fmt.Errorf("run %s: its record and the attestation's subjects disagree", r.ShortID())
	}
	for i := range want {
		if want[i].Name != s.Subject[i].Name || want[i].Digest["sha256"] != s.Subject[i].Digest["sha256"] {
			return nil, nil, fmt.Errorf("run %s: its record and the attestation's subject %q disagree", r.ShortID(), s.Subject[i].Name)
		}
	}
	var patch []byte
	if in.Patch != "" {
		var err error
		if patch, err = base64.StdEncoding.DecodeString(in.Patch); err != nil {
			return nil, nil, fmt.Errorf("run %s: its patch: %w", r.ShortID(), err)
		}
		if runlog.BlobDigest(patch) != r.PatchDigest {
			return nil, nil, fmt.Errorf("run %s: its patch does not match its digest %s", r.ShortID(), r.PatchDigest)
		}
	}
	return &r, patch, nil
}

func hexOf(d string) string { return strings.TrimPrefix(d, "sha256:") }
